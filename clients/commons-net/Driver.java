// The commons-net client of ftps-conform: runs one manifest action with Apache commons-net's
// FTPSClient (Java JSSE). commons-net is a library, not a program, so this driver is the
// program: it reads a command file (the action's rendered ${script}) and calls the library.
//
//   java -cp driver.jar:commons-net.jar Driver SCRIPT      run the commands in SCRIPT
//   java -cp driver.jar:commons-net.jar Driver --version   "commons-net X (Java V)"
//   java -cp driver.jar:commons-net.jar Driver --warm-up CERT KEY
//                                           handshakes with itself (ci/bootstrap: class archive)
//   java -cp driver.jar:commons-net.jar Driver --serve
//                                           resident: runs the actions of a whole run, each as
//                                           if started by its argv (clients/README.md
//                                           "A resident driver")
//
// The command file is the one of clients/basic-ftp/driver.mjs (clients/README.md "A client
// that is a library"), plus:
//     prot P|C        PBSZ 0 then PROT P (default) or PROT C after login
//     mode passive|active
// Exit status: 0 when every command succeeded; 1 with one line "commons-net: ..." on stderr
// at the first failure; 2 for a bad command file.
import java.io.*;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.*;
import javax.net.ssl.*;
import org.apache.commons.net.PrintCommandListener;
import org.apache.commons.net.ftp.*;
import org.apache.commons.net.util.TrustManagerUtils;

public final class Driver {
    private static final Map<String, Integer> ACTIONS = Map.of(
        "login", 0, "list", 0, "get", 2, "put", 2, "delete", 1, "mkdir", 1);
    private static final Set<String> OPTIONS = Set.of("secure", "host", "port", "user",
        "password", "ca", "verify", "cert", "key", "tls-min", "tls-max", "timeout", "deadline",
        "debug", "prot", "mode");
    private static final List<String> VERSIONS = List.of("TLSv1.2", "TLSv1.3");

    /** A failure the driver reports in one line. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;
        Failure(String message, int status) {
            super(message);
            this.status = status;
        }
    }

    record Action(String cmd, List<String> args, String where) {}

    public static void main(String[] argv) {
        if (argv.length == 1 && argv[0].equals("--serve")) {
            serve();
            return;
        }
        System.exit(execute(argv, System.out, System.err, null));
    }

    /**
     * One action, as if started with `argv` (the words after "Driver"): its listing goes to
     * `out`, its one-line failure to `err`; returns the exit status. `job` is null for a
     * process of its own (its deadline then ends the process), else the resident's handle on
     * the action (its deadline and a cancel close the action's connections).
     */
    static int execute(String[] argv, PrintStream out, PrintStream err, Job job) {
        try {
            if (argv.length == 1 && argv[0].equals("--version")) {
                out.println(version());
                return 0;
            }
            if (argv.length == 3 && argv[0].equals("--warm-up")) {
                warmUp(argv[1], argv[2]);
                return 0;
            }
            if (argv.length != 1) {
                throw new Failure("usage: Driver SCRIPT | --version | --serve", 2);
            }
            Map<String, String> opts = new HashMap<>(Map.of(
                "secure", "explicit", "verify", "yes", "timeout", "10", "deadline", "25",
                "prot", "P", "mode", "passive"));
            List<Action> actions = parse(argv[0], opts);
            int deadline = Integer.parseInt(opts.get("deadline"));
            if (job == null) {
                watchdog(deadline);
            } else {
                job.deadline(deadline);
            }
            run(opts, actions, out, job);
            return 0;
        } catch (Failure f) {
            return report(err, job, f.getMessage(), f.status);
        } catch (Exception e) {
            return report(err, job, describe(e), 1);
        }
    }

    static int report(PrintStream err, Job job, String message, int status) {
        String why = job != null && job.abandoned() != null ? job.abandoned() : message;
        err.println("commons-net: " + String.valueOf(why).replaceAll("\\s+", " ").trim());
        err.flush();
        return status;
    }

    /** A process of its own: the one-line failure, then the exit. */
    static void fail(String message, int status) {
        System.exit(report(System.err, null, message, status));
    }

    /**
     * A resident action: its deadline and a cancel from the harness end it by closing its
     * connections (a blocked read or connect then throws), and its failure says why.
     */
    static final class Job {
        private FTPSClient ftp;
        private String abandoned;
        private boolean over;
        private Thread timer;

        synchronized void attach(FTPSClient client) {
            if (abandoned != null) {
                throw new IllegalStateException(abandoned);  // report() says why
            }
            ftp = client;
        }

        synchronized String abandoned() {
            return abandoned;
        }

        synchronized void abandon(String why) {
            if (over || abandoned != null) {
                return;
            }
            abandoned = why;
            close();
        }

        synchronized void finish() {
            over = true;
            if (timer != null) {
                timer.interrupt();
            }
        }

        void deadline(int seconds) {
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(seconds * 1000L);
                    abandon("gave up after " + seconds + " s (deadline)");
                } catch (InterruptedException e) {
                    // the action ended first
                }
            });
            t.setDaemon(true);
            synchronized (this) {
                timer = t;
            }
            t.start();
        }

        private void close() {
            if (ftp != null) {
                try {
                    ftp.disconnect();
                } catch (IOException | RuntimeException e) {
                    // closed is closed
                }
            }
        }
    }

    /**
     * --serve: the resident. Requests on stdin, one per line, fields separated by tabs:
     *   run ID STDOUT STDERR WORD...   run the action whose argv is WORD... (the words after
     *                                  "Driver" are its arguments), its listing appended to
     *                                  STDOUT and its failure to STDERR
     *   cancel ID                      end that action now (the harness's deadline)
     * Answers on stdout: "ready" once, then "done ID STATUS" as each action ends. Each action
     * runs on a thread of its own, with its own SSLContext (no TLS session is shared between
     * actions); the resident ends when stdin closes.
     */
    static void serve() {
        PrintStream answers = System.out;
        Map<String, Job> jobs = new HashMap<>();
        answers.println("ready");
        answers.flush();
        try (BufferedReader in = new BufferedReader(
                 new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] f = line.split("\t", -1);
                if (f.length == 2 && f[0].equals("cancel")) {
                    Job job;
                    synchronized (jobs) {
                        job = jobs.get(f[1]);
                    }
                    if (job != null) job.abandon("cancelled by the harness (its deadline)");
                    continue;
                }
                if (f.length < 5 || !f[0].equals("run")) {
                    System.err.println("commons-net resident: bad request: " + line);
                    continue;
                }
                String id = f[1];
                List<String> words = Arrays.asList(f).subList(4, f.length);
                int at = words.indexOf("Driver");
                String[] args = words.subList(at + 1, words.size()).toArray(new String[0]);
                Job job = new Job();
                synchronized (jobs) {
                    jobs.put(id, job);
                }
                Thread t = new Thread(() -> {
                    int status;
                    try (PrintStream out = new PrintStream(new FileOutputStream(f[2], true), true,
                             StandardCharsets.UTF_8);
                         PrintStream err = new PrintStream(new FileOutputStream(f[3], true), true,
                             StandardCharsets.UTF_8)) {
                        status = at < 0 ? report(err, null, "no Driver in the action's argv", 2)
                                        : execute(args, out, err, job);
                    } catch (IOException e) {
                        status = 2;
                    } finally {
                        job.finish();
                    }
                    synchronized (jobs) {
                        jobs.remove(id);
                    }
                    synchronized (answers) {
                        answers.println("done\t" + id + "\t" + status);
                        answers.flush();
                    }
                }, "action-" + id);
                t.setDaemon(true);
                t.start();
            }
        } catch (IOException e) {
            System.err.println("commons-net resident: " + describe(e));
        }
        System.exit(0);
    }

    /** The exception and its cause: commons-net wraps the socket error of a transfer in
     *  CopyStreamException ("IOException caught while copying."). */
    static String describe(Throwable e) {
        String out = e.getClass().getSimpleName() + ": " + e.getMessage();
        Throwable cause = e instanceof org.apache.commons.net.io.CopyStreamException c
            ? c.getIOException() : e.getCause();
        if (cause != null && cause != e) {
            out += " (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")";
        }
        return out;
    }

    static String version() {
        return "commons-net " + FTPSClient.class.getPackage().getImplementationVersion()
            + " (Java " + System.getProperty("java.version") + ")";
    }

    /** Ends the run below the harness's step deadline, with its own message. */
    static void watchdog(int seconds) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(seconds * 1000L);
            } catch (InterruptedException e) {
                return;
            }
            fail("gave up after " + seconds + " s (deadline)", 1);
        });
        t.setDaemon(true);
        t.start();
    }

    /** Words of a line: blanks separate, "..." groups (with \" and \\ inside). */
    static List<String> words(String line) throws Failure {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < line.length()) {
            while (i < line.length() && Character.isWhitespace(line.charAt(i))) i++;
            if (i >= line.length()) break;
            StringBuilder w = new StringBuilder();
            if (line.charAt(i) == '"') {
                i++;
                while (i < line.length() && line.charAt(i) != '"') {
                    if (line.charAt(i) == '\\' && i + 1 < line.length()) i++;
                    w.append(line.charAt(i++));
                }
                if (i >= line.length()) throw new Failure("unclosed quote", 2);
                i++;
            } else {
                while (i < line.length() && !Character.isWhitespace(line.charAt(i))) {
                    w.append(line.charAt(i++));
                }
            }
            out.add(w.toString());
        }
        return out;
    }

    static List<Action> parse(String file, Map<String, String> opts) throws Failure, IOException {
        List<Action> actions = new ArrayList<>();
        List<String> lines = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
        for (int n = 0; n < lines.size(); n++) {
            String where = file + ":" + (n + 1);
            String line = lines.get(n).trim();
            if (line.isEmpty() || line.startsWith("#")) continue;
            List<String> w;
            try {
                w = words(line);
            } catch (Failure f) {
                throw new Failure(where + ": " + f.getMessage(), 2);
            }
            String cmd = w.get(0);
            List<String> args = w.subList(1, w.size());
            if (ACTIONS.containsKey(cmd)) {
                if (args.size() != ACTIONS.get(cmd)) {
                    throw new Failure(where + ": '" + cmd + "' takes " + ACTIONS.get(cmd)
                        + " argument(s)", 2);
                }
                actions.add(new Action(cmd, args, where));
            } else if (OPTIONS.contains(cmd)) {
                if (!actions.isEmpty()) throw new Failure(where + ": option '" + cmd + "' after an action", 2);
                if (args.size() != 1) throw new Failure(where + ": '" + cmd + "' takes one value", 2);
                opts.put(cmd, args.get(0));
            } else {
                throw new Failure(where + ": unknown command '" + cmd + "'", 2);
            }
        }
        for (String need : List.of("host", "port", "user", "password")) {
            if (!opts.containsKey(need)) throw new Failure(file + ": missing '" + need + "'", 2);
        }
        check(file, opts, "secure", List.of("explicit", "implicit"));
        check(file, opts, "verify", List.of("yes", "no"));
        check(file, opts, "prot", List.of("P", "C"));
        check(file, opts, "mode", List.of("passive", "active"));
        for (String v : List.of("tls-min", "tls-max")) {
            if (opts.containsKey(v)) check(file, opts, v, VERSIONS);
        }
        return actions;
    }

    static void check(String file, Map<String, String> opts, String key, List<String> allowed)
        throws Failure {
        if (!allowed.contains(opts.get(key))) {
            throw new Failure(file + ": " + key + " is one of " + allowed + ", not '" + opts.get(key) + "'", 2);
        }
    }

    static byte[] pem(String file, String type) throws IOException, Failure {
        String text = Files.readString(Path.of(file), StandardCharsets.US_ASCII);
        String begin = "-----BEGIN " + type + "-----";
        int b = text.indexOf(begin);
        int e = text.indexOf("-----END " + type + "-----");
        if (b < 0 || e < 0) throw new Failure(file + ": no " + type + " in PEM form", 2);
        return Base64.getMimeDecoder().decode(text.substring(b + begin.length(), e));
    }

    static List<X509Certificate> certificates(String file) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        try (InputStream in = new FileInputStream(file)) {
            List<X509Certificate> out = new ArrayList<>();
            for (java.security.cert.Certificate c : cf.generateCertificates(in)) out.add((X509Certificate) c);
            return out;
        }
    }

    static PrivateKey privateKey(String file) throws Exception {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(pem(file, "PRIVATE KEY"));
        for (String alg : List.of("RSA", "EC", "Ed25519")) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new Failure(file + ": not an RSA, EC or Ed25519 PKCS#8 key", 2);
    }

    static SSLContext context(Map<String, String> o) throws Exception {
        char[] pass = "driver".toCharArray();
        TrustManager trust;
        if (o.get("verify").equals("no")) {
            trust = TrustManagerUtils.getAcceptAllTrustManager();
        } else {
            KeyStore ts = KeyStore.getInstance(KeyStore.getDefaultType());
            ts.load(null, null);
            if (o.containsKey("ca")) {
                int i = 0;
                for (X509Certificate c : certificates(o.get("ca"))) ts.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            trust = tmf.getTrustManagers()[0];
        }
        KeyManager[] keys = null;
        if (o.containsKey("cert") || o.containsKey("key")) {
            if (!o.containsKey("cert") || !o.containsKey("key")) throw new Failure("cert and key go together", 2);
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            ks.setKeyEntry("client", privateKey(o.get("key")), pass,
                certificates(o.get("cert")).toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pass);
            keys = kmf.getKeyManagers();
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(keys, new TrustManager[] {trust}, null);
        return ctx;
    }

    /**
     * --warm-up CERT KEY: a TLS 1.3 and a TLS 1.2 handshake with itself on the loopback
     * address (CERT and KEY: a self-signed certificate for 127.0.0.1 and its PKCS#8 key), with
     * the checks a real action makes (chain and host name), and an FTPSClient made but not
     * connected. ci/bootstrap runs it once with -XX:ArchiveClassesAtExit, so that every action
     * then starts from a class-data archive of what it loads instead of loading and verifying
     * the JSSE classes again.
     */
    static void warmUp(String cert, String key) throws Exception {
        SSLContext server = context(new HashMap<>(Map.of("verify", "no", "cert", cert, "key", key)));
        SSLContext client = context(new HashMap<>(Map.of("verify", "yes", "ca", cert)));
        for (String version : VERSIONS) {
            try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory()
                     .createServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                listener.setEnabledProtocols(new String[] {version});
                Thread echo = new Thread(() -> {
                    try (SSLSocket s = (SSLSocket) listener.accept()) {
                        s.setSoTimeout(10000);
                        s.getOutputStream().write(s.getInputStream().read());
                        s.getOutputStream().flush();
                    } catch (IOException e) {
                        // the client side reports the failure
                    }
                });
                echo.start();
                try (SSLSocket s = (SSLSocket) client.getSocketFactory()
                         .createSocket(listener.getInetAddress(), listener.getLocalPort())) {
                    s.setSoTimeout(10000);
                    SSLParameters p = s.getSSLParameters();
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                    s.setSSLParameters(p);
                    s.startHandshake();
                    s.getOutputStream().write('x');
                    s.getOutputStream().flush();
                    if (s.getInputStream().read() != 'x') {
                        throw new Failure("warm-up: no echo over " + version, 1);
                    }
                }
                echo.join(10000);
            }
        }
        FTPSClient ftp = new FTPSClient(false, client);
        ftp.setEnabledProtocols(VERSIONS.toArray(new String[0]));
        ftp.setEndpointCheckingEnabled(true);
    }

    static void run(Map<String, String> o, List<Action> actions, PrintStream out, Job job)
        throws Exception {
        boolean implicit = o.get("secure").equals("implicit");
        FTPSClient ftp = new FTPSClient(implicit, context(o));
        if (job != null) job.attach(ftp);
        String min = o.getOrDefault("tls-min", "TLSv1.2");
        String max = o.getOrDefault("tls-max", "TLSv1.3");
        ftp.setEnabledProtocols(VERSIONS.subList(VERSIONS.indexOf(min), VERSIONS.indexOf(max) + 1)
            .toArray(new String[0]));
        // Host name check (HTTPS rules: DNS or IP subjectAltName). commons-net 3.9 applies it to
        // the control connection only; data connections are not checked (a declared deviation).
        ftp.setEndpointCheckingEnabled(o.get("verify").equals("yes"));
        Duration timeout = Duration.ofSeconds(Integer.parseInt(o.get("timeout")));
        ftp.setConnectTimeout((int) timeout.toMillis());
        ftp.setDefaultTimeout((int) timeout.toMillis());
        ftp.setDataTimeout(timeout);
        PrintWriter debug = null;
        if (o.containsKey("debug")) {
            debug = new PrintWriter(new FileWriter(o.get("debug"), StandardCharsets.UTF_8, true), true);
            debug.println(Instant.now() + " " + version());
            ftp.addProtocolCommandListener(new PrintCommandListener(debug, true));
        }
        try {
            ftp.connect(o.get("host"), Integer.parseInt(o.get("port")));
            expect(ftp, FTPReply.isPositiveCompletion(ftp.getReplyCode()), "connect");
            if (!ftp.login(o.get("user"), o.get("password"))) throw reply(ftp, "login");
            ftp.execPBSZ(0);  // both throw SSLException on a refusal
            ftp.execPROT(o.get("prot"));
            expect(ftp, ftp.setFileType(FTP.BINARY_FILE_TYPE), "TYPE I");
            if (o.get("mode").equals("active")) {
                ftp.enterLocalActiveMode();
            } else {
                ftp.enterLocalPassiveMode();
            }
            for (Action a : actions) {
                if (debug != null) debug.println(Instant.now() + " # " + a.cmd() + " " + String.join(" ", a.args()));
                perform(ftp, a, out);
            }
            ftp.logout();
        } finally {
            if (ftp.isConnected()) ftp.disconnect();
            if (debug != null) debug.close();
        }
    }

    static void perform(FTPSClient ftp, Action a, PrintStream listing) throws Exception {
        List<String> x = a.args();
        switch (a.cmd()) {
            case "login" -> expect(ftp, ftp.sendNoOp(), "NOOP");
            case "list" -> {
                FTPFile[] files = ftp.listFiles();
                expect(ftp, FTPReply.isPositiveCompletion(ftp.getReplyCode()), "LIST");
                for (FTPFile f : files) {
                    listing.println((f.isDirectory() ? "d " : "- ") + f.getSize() + " " + f.getName());
                }
            }
            case "get" -> {
                try (OutputStream out = new FileOutputStream(x.get(1))) {
                    expect(ftp, ftp.retrieveFile(x.get(0), out), "RETR " + x.get(0));
                }
            }
            case "put" -> {
                try (InputStream in = new FileInputStream(x.get(0))) {
                    expect(ftp, ftp.storeFile(x.get(1), in), "STOR " + x.get(1));
                }
            }
            case "delete" -> expect(ftp, ftp.deleteFile(x.get(0)), "DELE " + x.get(0));
            case "mkdir" -> expect(ftp, ftp.makeDirectory(x.get(0)), "MKD " + x.get(0));
            default -> throw new Failure(a.where() + ": unknown action", 2);
        }
    }

    static void expect(FTPSClient ftp, boolean ok, String what) throws Failure {
        if (!ok) throw reply(ftp, what);
    }

    static Failure reply(FTPSClient ftp, String what) {
        String r = ftp.getReplyString();
        return new Failure(what + " failed: " + (r == null ? "no reply" : r.trim()), 1);
    }
}
