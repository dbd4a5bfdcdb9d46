# The user database pam_userdb opens (relative to vsftpd's cwd, the run dir): built once
# per run by mkuserdb.pl (perl with DB_File, the slowest prepare step) and copied here.
# Rendered per instance.
set -eu
[ -s ${run_cache}/vsftpd-users.db ] || /usr/bin/perl ${rundir}/mkuserdb.pl
cp ${run_cache}/vsftpd-users.db ${rundir}/vsftpd-users.db
