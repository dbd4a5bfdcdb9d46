# Builds the Berkeley DB hash file that pam_userdb reads (key: user name, value: crypt(3)
# hash, checked with crypt=crypt). Rendered per instance into the run dir.
use strict;
use warnings;
use Fcntl;
use DB_File;
my $db = '${rundir}/vsftpd-users.db';
unlink $db;
my %users;
tie(%users, 'DB_File', $db, O_RDWR | O_CREAT, 0600, $DB_HASH) or die "cannot create $db: $!\n";
$users{'${user}'} = '${password_crypt}';
untie %users;
