/// The keywords haproxy 2.6 knows in each section, and those it refuses because they were
/// removed (with the release that removed them and what to use instead). Taken from haproxy
/// 2.6's section parsers and from `haproxy -dKcfg` of Debian's build; checked against
/// `haproxy -c` by the conformance tests. Anything else is "unknown keyword", a fatal error.
public enum HAProxyKeywords {
    /// Keywords of frontend, backend, listen and defaults (cfg_parse_listen and the
    /// keywords registered for proxies).
    public static let proxy: Set<String> = [
        "acl", "backlog", "balance", "bind", "bind-process", "capture", "clitcpka-cnt", "clitcpka-idle",
        "clitcpka-intvl", "compression", "cookie", "declare", "default-server", "default_backend", "description",
        "disabled", "dispatch", "dynamic-cookie-key", "email-alert", "enabled", "error-log-format", "errorfile",
        "errorfiles", "errorloc", "errorloc302", "errorloc303", "external-check", "filter", "force-persist",
        "fullconn", "hash-balance-factor", "hash-type", "http-after-response", "http-check", "http-error",
        "http-request", "http-response", "http-reuse", "http-send-name-header", "id", "ignore-persist",
        "load-server-state-from-file", "log", "log-format", "log-format-sd", "log-tag", "max-keep-alive-queue",
        "max-session-srv-conns", "maxconn", "mode", "monitor", "monitor-uri", "option", "persist", "rate-limit",
        "redirect", "retries", "retry-on", "server", "server-state-file-name", "server-template", "source",
        "srvtcpka-cnt", "srvtcpka-idle", "srvtcpka-intvl", "stats", "stick", "stick-table", "tcp-check",
        "tcp-request", "tcp-response", "timeout", "transparent", "unique-id-format", "unique-id-header",
        "use-fcgi-app", "use-server", "use_backend",
    ]

    /// Proxy keywords haproxy 2.6 still recognises only to refuse them.
    public static let removedProxy: [String: String] = {
        var removed: [String: String] = [
            "block": "the 'block' directive is not supported anymore since HAProxy 2.1; use 'http-request deny', which takes the same syntax",
            "redispatch": "the 'redispatch' keyword is not supported anymore since HAProxy 2.1; use 'option redispatch'",
            "redisp": "the 'redisp' keyword is not supported anymore since HAProxy 2.1; use 'option redispatch'",
            "appsession": "'appsession' is not supported anymore since HAProxy 1.6",
            "monitor-net": "'monitor-net' doesn't exist anymore; use 'http-request return status 200 if { src ... }'",
            "grace": "the 'grace' keyword is not supported any more since HAProxy 2.5",
            "clitimeout": "the 'clitimeout' directive is not supported anymore since HAProxy 2.1; use 'timeout client'",
            "srvtimeout": "the 'srvtimeout' directive is not supported anymore since HAProxy 2.1; use 'timeout server'",
            "contimeout": "the 'contimeout' directive is not supported anymore since HAProxy 2.1; use 'timeout connect'",
            "usesrc": "'usesrc' only allowed after a 'source' statement",
        ]
        let regexRules: [(String, String)] = [
            ("reqrep", "http-request replace-path, replace-uri or replace-header"), ("cliexp", "http-request replace-path, replace-uri or replace-header"),
            ("reqirep", "http-request replace-header"), ("reqdel", "http-request del-header"), ("reqidel", "http-request del-header"),
            ("reqdeny", "http-request deny"), ("reqideny", "http-request deny"), ("reqallow", "http-request allow"),
            ("reqiallow", "http-request allow"), ("reqtarpit", "http-request tarpit"), ("reqitarpit", "http-request tarpit"),
            ("reqadd", "http-request add-header"), ("reqpass", ""), ("reqipass", ""),
            ("rsprep", "http-response replace-header"), ("srvexp", "http-response replace-header"), ("rspirep", "http-response replace-header"),
            ("rspdel", "http-response del-header"), ("rspidel", "http-response del-header"), ("rspdeny", "http-response deny"),
            ("rspideny", "http-response deny"), ("rspadd", "http-response add-header"),
        ]
        for (keyword, instead) in regexRules {
            removed[keyword] = "the '\(keyword)' directive is not supported anymore since HAProxy 2.1" + (instead.isEmpty ? "" : "; use '\(instead)'")
        }
        return removed
    }()

    /// `option` names (cfg_opts, cfg_opts2 and those cfg_parse_listen handles itself).
    public static let options: Set<String> = [
        "abortonclose", "accept-invalid-http-request", "accept-invalid-http-response", "allbackups", "checkcache",
        "clitcpka", "contstats", "disable-h2-upgrade", "dontlog-normal", "dontlognull", "external-check", "forwardfor",
        "h1-case-adjust-bogus-client", "h1-case-adjust-bogus-server", "http-buffer-request", "http-ignore-probes",
        "http-keep-alive", "http-no-delay", "http-pretend-keepalive", "http-restrict-req-hdr-names",
        "http-server-close", "http-use-proxy-header", "httpchk", "httpclose", "httplog", "httpslog",
        "idle-close-on-response", "independent-streams", "ldap-check", "log-health-checks", "log-separate-errors",
        "logasap", "mysql-check", "nolinger", "originalto", "persist", "pgsql-check", "prefer-last-server",
        "redis-check", "redispatch", "smtpchk", "socket-stats", "splice-auto", "splice-request", "splice-response",
        "spop-check", "srvtcpka", "ssl-hello-chk", "tcp-check", "tcp-smart-accept", "tcp-smart-connect", "tcpka",
        "tcplog", "transparent",
    ]

    public static let removedOptions: [String: String] = [
        "forceclose": "option 'forceclose' is not supported any more since HAProxy 2.0; remove it, or use 'option httpclose' if absolutely needed",
        "http-tunnel": "option 'http-tunnel' is not supported any more since HAProxy 2.1; remove it, it shouldn't be needed",
        "http_proxy": "option 'http_proxy' is not supported any more since HAProxy 2.5; use 'http-request set-dst' and 'http-request set-uri' (and 'http-request do-resolve')",
    ]

    /// Keywords of the global section (cfg_parse_global and the keywords registered for it).
    public static let global: Set<String> = [
        "busy-polling", "ca-base", "chroot", "close-spread-time", "cluster-secret", "cpu-map", "crt-base", "daemon",
        "default-path", "description", "expose-experimental-directives", "external-check", "fd-hard-limit", "gid",
        "grace", "group", "h1-accept-payload-with-any-method", "h1-case-adjust", "h1-case-adjust-file",
        "h2-workaround-bogus-websocket-clients", "hard-stop-after", "httpclient.resolvers.id",
        "httpclient.resolvers.prefer", "httpclient.ssl.ca-file", "httpclient.ssl.verify", "insecure-fork-wanted",
        "insecure-setuid-wanted", "issuers-chain-path", "localpeer", "log", "log-send-hostname", "log-tag",
        "lua-load", "lua-load-per-thread", "lua-prepend-path", "master-worker", "max-spread-checks",
        "maxcompcpuusage", "maxcomprate", "maxconn", "maxconnrate", "maxpipes", "maxsessrate", "maxsslconn",
        "maxsslrate", "maxzlibmem", "mworker-max-reloads", "nbthread", "no-memory-trimming", "node", "noepoll",
        "noevports", "nogetaddrinfo", "nokqueue", "nopoll", "noreuseport", "nosplice", "numa-cpu-mapping",
        "pidfile", "pp2-never-send-local", "presetenv", "profiling.tasks", "quiet", "resetenv", "server-state-base",
        "server-state-file", "set-dumpable", "set-var", "set-var-fmt", "setenv", "spread-checks",
        "ssl-default-bind-ciphers", "ssl-default-bind-ciphersuites", "ssl-default-bind-curves",
        "ssl-default-bind-options", "ssl-default-server-ciphers", "ssl-default-server-ciphersuites",
        "ssl-default-server-options", "ssl-dh-param-file", "ssl-load-extra-del-ext", "ssl-load-extra-files",
        "ssl-mode-async", "ssl-propquery", "ssl-provider", "ssl-provider-path", "ssl-server-verify",
        "ssl-skip-self-issued-ca", "stats", "strict-limits", "thread-group", "thread-groups", "tune.buffers.limit",
        "tune.buffers.reserve", "tune.bufsize", "tune.comp.maxlevel", "tune.fail-alloc", "tune.fd.edge-triggered",
        "tune.h2.header-table-size", "tune.h2.initial-window-size", "tune.h2.max-concurrent-streams",
        "tune.h2.max-frame-size", "tune.http.cookielen", "tune.http.logurilen", "tune.http.maxhdr",
        "tune.idle-pool.shared", "tune.idletimer", "tune.listener.multi-queue", "tune.lua.forced-yield",
        "tune.lua.maxmem", "tune.lua.service-timeout", "tune.lua.session-timeout", "tune.lua.task-timeout",
        "tune.maxaccept", "tune.maxpollevents", "tune.maxrewrite", "tune.pattern.cache-size",
        "tune.peers.max-updates-at-once", "tune.pipesize", "tune.pool-high-fd-ratio", "tune.pool-low-fd-ratio",
        "tune.rcvbuf.client", "tune.rcvbuf.server", "tune.recv_enough", "tune.runqueue-depth",
        "tune.sched.low-latency", "tune.sndbuf.client", "tune.sndbuf.server", "tune.ssl.cachesize",
        "tune.ssl.capture-buffer-size", "tune.ssl.capture-cipherlist-size", "tune.ssl.default-dh-param",
        "tune.ssl.force-private-cache", "tune.ssl.hard-maxrecord", "tune.ssl.keylog", "tune.ssl.lifetime",
        "tune.ssl.maxrecord", "tune.ssl.ssl-ctx-cache-size", "tune.vars.check-max-size", "tune.vars.global-max-size",
        "tune.vars.proc-max-size", "tune.vars.reqres-max-size", "tune.vars.sess-max-size", "tune.vars.txn-max-size",
        "uid", "ulimit-n", "unix-bind", "unsetenv", "user", "zero-warning",
    ]

    public static let removedGlobal: [String: String] = [
        "nbproc": "nbproc is not supported any more since HAProxy 2.5; threads are used automatically on multi-processor machines",
        "tune.chksize": "option 'tune.chksize' is not supported any more (tune.bufsize is used instead)",
    ]

    /// Proxy keywords a `defaults` section may hold only when it has a name.
    public static let namedDefaultsOnly: Set<String> = ["acl", "http-request", "http-response", "http-after-response", "tcp-request"]

    /// Global settings haproxy takes once: a second one, after a first with a value other than
    /// 0, is refused ("already specified").
    public static let globalOnce: Set<String> = [
        "chroot", "cluster-secret", "fd-hard-limit", "log-send-hostname", "maxconn", "maxconnrate", "maxpipes",
        "maxsessrate", "maxsslrate", "pidfile", "server-state-base", "server-state-file", "spread-checks",
        "tune.maxaccept", "tune.maxpollevents", "tune.rcvbuf.client", "tune.rcvbuf.server", "tune.runqueue-depth",
        "tune.sndbuf.client", "tune.sndbuf.server", "ulimit-n",
    ]

    /// What `stats` takes in global (the rest are proxy settings).
    public static let globalStats: Set<String> = ["socket", "maxconn", "bind-process", "timeout"]

    /// Sections whose keywords are checked here, besides global and the proxies; the others
    /// (ring, fcgi-app, log-forward, spoe-*, crt-store ...) are read for their lines only.
    public static let otherSections: [String: Set<String>] = [
        "userlist": ["group", "user"],
        "peers": ["bind", "default-bind", "default-server", "disabled", "enabled", "log", "peer", "server", "table"],
        "mailers": ["mailer", "timeout"],
        "resolvers": ["accepted_payload_size", "hold", "nameserver", "parse-resolv-conf", "resolve_retries", "timeout"],
        "cache": ["max-age", "max-object-size", "max-secondary-entries", "process-vary", "total-max-size"],
        "http-errors": ["errorfile"],
        "program": ["command", "group", "option", "user"],
    ]

    /// Sections whose names must be unique among sections of the same keyword.
    public static let uniquelyNamed: Set<String> = ["peers", "mailers", "resolvers", "cache", "http-errors", "program", "fcgi-app", "ring", "log-forward"]
}
