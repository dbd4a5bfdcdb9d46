# Builds the Berkeley DB hash file that pam_userdb reads (key: user name, value: crypt(3)
# hash, checked with crypt=crypt). It depends only on the run's user and password, so
# prepare.sh runs this once per run into ${run_cache}; built under a name of this instance
# and renamed, as concurrent cells may race for it.
use strict;
use warnings;
use Fcntl;
use DB_File;
my $tmp = '${run_cache}/vsftpd-users.db.${port}';
my $db = '${run_cache}/vsftpd-users.db';
unlink $tmp;
my %users;
tie(%users, 'DB_File', $tmp, O_RDWR | O_CREAT, 0600, $DB_HASH) or die "cannot create $tmp: $!\n";
$users{'${user}'} = '${password_crypt}';
untie %users;
rename($tmp, $db) or die "cannot rename $tmp to $db: $!\n";
