# Prepares one vsftpd instance; rendered per instance, run by /bin/sh (one process instead
# of one per step: a full run starts some 230 instances). What depends only on the run's
# user and password is made once per run in ${run_cache}; concurrent cells may race, so
# each writes under a name of its own and renames.
set -eu
# The user database pam_userdb opens (relative to vsftpd's cwd, the run dir): built by
# mkuserdb.pl (perl with DB_File, the slowest step), copied here.
[ -s ${run_cache}/vsftpd-users.db ] || /usr/bin/perl ${rundir}/mkuserdb.pl
cp ${run_cache}/vsftpd-users.db ${rundir}/vsftpd-users.db
# secure_chroot_dir, and the user's home owned by the account sessions run as
mkdir -p -m 0755 ${workdir}/empty
chown daemon ${home}
# The PAM service (the same file for every instance and run): installed once per run, by
# copy and rename so that a vsftpd starting meanwhile never reads half a file.
if [ ! -e ${run_cache}/pam-installed ]; then
    cp ${rundir}/pam.conf /etc/pam.d/.ftps-conform-vsftpd.${port}
    mv -f /etc/pam.d/.ftps-conform-vsftpd.${port} /etc/pam.d/ftps-conform-vsftpd
    : > ${run_cache}/pam-installed
fi
