#!/usr/bin/env node
// The basic-ftp client of ftps-conform: runs one manifest action with the npm package
// basic-ftp (Node.js TLS). basic-ftp is a library, not a program, so this driver is the
// program: it reads a command file (the action's rendered ${script}) and calls the library.
//
//   node driver.mjs SCRIPT      run the commands in SCRIPT
//   node driver.mjs --version   print "basic-ftp X.Y.Z (Node.js vN, OpenSSL V)"
//   node driver.mjs --serve     resident: runs the actions of a whole run, each as if started
//                               by its argv (clients/README.md "A resident driver")
//
// The command file (clients/README.md "A client that is a library"): one command per line,
// words split on blanks, "double quotes" group a word; # starts a comment line.
//   Options (before the first action):
//     secure explicit|implicit   AUTH TLS on the normal port, or TLS right after connect
//     host H / port N / user U / password P
//     ca FILE                    the trust store for the server certificate
//     verify yes|no              check the chain and the host name (default yes)
//     cert FILE / key FILE       a client certificate
//     tls-min V / tls-max V      TLSv1.2 or TLSv1.3
//     timeout SECONDS            idle bound on the control and data connections (default 10)
//     deadline SECONDS           bound on the whole run (default 25)
//     debug FILE                 the dialogue with timestamps
//   Actions (the first one logs in; all of them share that one login):
//     login | list | get REMOTE LOCAL | put LOCAL REMOTE | delete REMOTE | mkdir REMOTE
// Exit status: 0 when every command succeeded; 1 with one line "basic-ftp: ..." on stderr
// at the first failure; 2 for a bad command file.
import { appendFileSync, readFileSync, openSync, writeSync, closeSync } from "node:fs";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";

const require = createRequire(import.meta.url);

function oneLine(message) {
    return `basic-ftp: ${message.replace(/\s+/g, " ").trim()}\n`;
}

function fail(message, status = 1) {
    process.stderr.write(oneLine(message));
    process.exit(status);
}

/** A failure with the exit status it ends the action with. */
class Failure extends Error {
    constructor(message, status) {
        super(message);
        this.status = status;
    }
}

/** An OpenSSL error without its address, function and source file: "80FC...:error:0A00010B:
 *  SSL routines:ssl3_get_record:wrong version number:../ssl/record/ssl3_record.c:350:"
 *  becomes "wrong version number". */
function shortSslError(message) {
    return message
        .replace(/[0-9A-F]+:error:[0-9A-F]+:SSL routines:[^:]*:([^:]+):[^:\s]*:\d+:/g, "$1; ")
        .replace(/;\s*(\[|$)/g, " $1");
}

/** Words of a line: blanks separate, "..." groups (with \" and \\ inside). */
function words(line) {
    const out = [];
    let i = 0;
    while (i < line.length) {
        while (i < line.length && /\s/.test(line[i])) i++;
        if (i >= line.length) break;
        let w = "";
        if (line[i] === '"') {
            i++;
            while (i < line.length && line[i] !== '"') {
                if (line[i] === "\\" && i + 1 < line.length) i++;
                w += line[i++];
            }
            if (i >= line.length) throw new Error("unclosed quote");
            i++;
        } else {
            while (i < line.length && !/\s/.test(line[i])) w += line[i++];
        }
        out.push(w);
    }
    return out;
}

const ACTIONS = { login: 0, list: 0, get: 2, put: 2, delete: 1, mkdir: 1 };
const OPTIONS = ["secure", "host", "port", "user", "password", "ca", "verify", "cert", "key",
    "tls-min", "tls-max", "timeout", "deadline", "debug"];

/** Options and actions of a command file; throws "FILE:LINE: ..." on bad input. */
function parse(file) {
    const opts = { secure: "explicit", verify: "yes", timeout: "10", deadline: "25" };
    const actions = [];
    readFileSync(file, "utf8").split("\n").forEach((raw, n) => {
        const where = `${file}:${n + 1}`;
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) return;
        let w;
        try {
            w = words(line);
        } catch (e) {
            throw new Error(`${where}: ${e.message}`);
        }
        const [cmd, ...args] = w;
        if (cmd in ACTIONS) {
            if (args.length !== ACTIONS[cmd]) {
                throw new Error(`${where}: '${cmd}' takes ${ACTIONS[cmd]} argument(s)`);
            }
            actions.push({ cmd, args, where });
        } else if (OPTIONS.includes(cmd)) {
            if (actions.length > 0) throw new Error(`${where}: option '${cmd}' after an action`);
            if (args.length !== 1) throw new Error(`${where}: '${cmd}' takes one value`);
            opts[cmd] = args[0];
        } else {
            throw new Error(`${where}: unknown command '${cmd}'`);
        }
    });
    for (const need of ["host", "port", "user", "password"]) {
        if (!(need in opts)) throw new Error(`${file}: missing '${need}'`);
    }
    if (!["explicit", "implicit"].includes(opts.secure)) {
        throw new Error(`${file}: secure is explicit or implicit, not '${opts.secure}'`);
    }
    if (!["yes", "no"].includes(opts.verify)) {
        throw new Error(`${file}: verify is yes or no, not '${opts.verify}'`);
    }
    return { opts, actions };
}

function tlsOptions(o) {
    const t = { rejectUnauthorized: o.verify === "yes" };
    if (o.ca) t.ca = readFileSync(o.ca);
    if (o.cert) t.cert = readFileSync(o.cert);
    if (o.key) t.key = readFileSync(o.key);
    if (o["tls-min"]) t.minVersion = o["tls-min"];
    if (o["tls-max"]) t.maxVersion = o["tls-max"];
    return t;
}

async function run(opts, actions, log, out, job) {
    const client = new ftp.Client(Number(opts.timeout) * 1000);
    job.client = client;
    if (job.abandoned) throw new Failure(job.abandoned, 1);
    client.ftp.verbose = true;
    client.ftp.log = log;
    try {
        await client.access({
            host: opts.host,
            port: Number(opts.port),
            user: opts.user,
            password: opts.password,
            secure: opts.secure === "implicit" ? "implicit" : true,
            secureOptions: tlsOptions(opts),
        });
        for (const { cmd, args } of actions) {
            log(`# ${cmd} ${args.join(" ")}`);
            if (cmd === "list") {
                for (const f of await client.list()) {
                    out(`${f.isDirectory ? "d" : "-"} ${f.size} ${f.name}\n`);
                }
            } else if (cmd === "get") {
                await client.downloadTo(args[1], args[0]);
            } else if (cmd === "put") {
                await client.uploadFrom(args[0], args[1]);
            } else if (cmd === "delete") {
                await client.remove(args[0]);
            } else if (cmd === "mkdir") {
                await client.send(`MKD ${args[0]}`);
            }
        }
    } finally {
        client.close();  // sends QUIT and closes without waiting for the 221
    }
}

function version() {
    const pkg = require("basic-ftp/package.json");
    return `basic-ftp ${pkg.version} (Node.js ${process.version}, OpenSSL ${process.versions.openssl})`;
}

// Imported here, not statically, so that a missing package gets a message that says how
// to install it.
const ftp = await import("basic-ftp").then(
    (m) => m.default,
    () => fail("the npm package basic-ftp is not installed beside the driver: run ci/bootstrap " +
               "(npm ci --prefix clients/basic-ftp)", 2));
/**
 * One action, as if started with `args` (the words after driver.mjs): its listing goes to
 * out(text), its one-line failure to err(text); resolves to the exit status. `job` holds the
 * action's client so that its deadline, or a cancel of the resident's, can close it.
 */
async function execute(args, out, err, job) {
    if (args.length === 1 && args[0] === "--version") {
        out(version() + "\n");
        return 0;
    }
    if (args.length !== 1) {
        err(oneLine("usage: driver.mjs SCRIPT | --version | --serve"));
        return 2;
    }
    let parsed;
    try {
        parsed = parse(args[0]);
    } catch (e) {
        err(oneLine(e.message));
        return 2;
    }
    const { opts, actions } = parsed;
    const fd = opts.debug ? openSync(opts.debug, "a") : null;
    const log = (m) => {
        if (fd !== null) writeSync(fd, `${new Date().toISOString()} ${m}\n`);
    };
    log(version());
    // The library bounds each connection by `timeout`; this bounds the whole run below the
    // harness's step deadline, so a stuck run ends with its own message.
    const timer = setTimeout(() => job.abandon(`gave up after ${opts.deadline} s (deadline)`),
                             Number(opts.deadline) * 1000);
    timer.unref();
    try {
        await Promise.race([run(opts, actions, log, out, job), job.gaveUp]);
        return 0;
    } catch (e) {
        log(`! ${e.stack ?? e}`);
        const code = e.code !== undefined ? ` [${e.code}]` : "";
        err(oneLine(job.abandoned ?? `${shortSslError(String(e.message))}${code}`));
        return e instanceof Failure ? e.status : 1;
    } finally {
        clearTimeout(timer);
        if (fd !== null) closeSync(fd);
    }
}

/** An action's handle: abandon(why) closes its client; its failure then says why. */
function newJob(onAbandon) {
    let giveUp;
    const job = {
        client: null,
        abandoned: null,
        // Rejects when the action is abandoned: a library call that never settles (basic-ftp
        // waiting for a handshake after 234 even once its socket is closed) must not keep the
        // action from ending.
        gaveUp: new Promise((_, reject) => {
            giveUp = reject;
        }),
        abandon(why) {
            if (job.abandoned !== null) return;
            job.abandoned = why;
            if (job.client !== null) job.client.close();
            giveUp(new Failure(why, 1));
            onAbandon?.(why);
        },
    };
    job.gaveUp.catch(() => {});  // only ever awaited through Promise.race
    return job;
}

/**
 * --serve: the resident. Requests on stdin, one per line, fields separated by tabs:
 *   run ID STDOUT STDERR WORD...   run the action whose argv is WORD... (the words after
 *                                  driver.mjs are its arguments), appending its listing to
 *                                  STDOUT and its failure to STDERR
 *   cancel ID                      end that action now (the harness's deadline)
 * Answers on stdout: "ready" once, then "done ID STATUS" as each action ends. Actions run
 * concurrently, each with its own basic-ftp Client (TLS sessions are only ever passed from a
 * control connection to its own data connections); the resident ends when stdin closes.
 */
async function serve() {
    const jobs = new Map();
    process.stdout.write("ready\n");
    const lines = createInterface({ input: process.stdin });
    for await (const line of lines) {
        const f = line.split("\t");
        if (f.length === 2 && f[0] === "cancel") {
            jobs.get(f[1])?.abandon("cancelled by the harness (its deadline)");
            continue;
        }
        if (f.length < 5 || f[0] !== "run") {
            process.stderr.write(`basic-ftp resident: bad request: ${line}\n`);
            continue;
        }
        const [, id, outFile, errFile, ...words] = f;
        const at = words.findIndex((w) => w.endsWith("driver.mjs"));
        const job = newJob();
        jobs.set(id, job);
        const out = (text) => appendFileSync(outFile, text);
        const err = (text) => appendFileSync(errFile, text);
        const answer = (status) => {
            jobs.delete(id);
            process.stdout.write(`done\t${id}\t${status}\n`);
        };
        if (at < 0) {
            err(oneLine("no driver.mjs in the action's argv"));
            answer(2);
            continue;
        }
        execute(words.slice(at + 1), out, err, job).then(answer, (e) => {
            err(oneLine(String(e)));
            answer(1);
        });
    }
    process.exit(0);
}

const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === "--serve") {
    await serve();
} else {
    // A process of its own: the deadline ends the process, as it always has.
    const job = newJob((why) => fail(why));
    process.exit(await execute(argv, (t) => process.stdout.write(t),
                               (t) => process.stderr.write(t), job));
}
