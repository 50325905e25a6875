package oretrace.neo4j;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * A real Neo4j 5.26 (Community) DBMS, embedded, with only the Bolt connector open on 127.0.0.1.
 *
 * <pre>
 * java -Xmx1g -jar target/oretrace-neo4j-server.jar [--port 7687] [--password PW] [--store DIR]
 *                                                  [--pagecache 256m] [--no-stdin] [--verbose]
 * </pre>
 *
 * <ul>
 *   <li>{@code --port 0} binds a free port; the real one is reported.</li>
 *   <li>Password: {@code --password}, else env {@code ORETRACE_NEO4J_PASSWORD}, else {@code oretrace-test}.
 *       User is always {@code neo4j}; no password change is required.</li>
 *   <li>Without {@code --store} a fresh temporary store is used and deleted on exit.</li>
 *   <li>When ready, prints exactly one line to stdout: {@code NEO4J READY bolt://127.0.0.1:PORT}.
 *       Everything else (Neo4j's user log, errors) goes to stderr.</li>
 *   <li>Stops when stdin reaches EOF (unless {@code --no-stdin}) or on SIGTERM/SIGINT.</li>
 * </ul>
 */
public final class Server {
    static final String DEFAULT_PASSWORD = "oretrace-test";
    static final String PASSWORD_ENV = "ORETRACE_NEO4J_PASSWORD";
    static final String USER = "neo4j";

    private final Object lock = new Object();
    private DatabaseManagementService dbms;
    private Path tempStore;
    private boolean stopped;
    private final PrintStream err;

    private Server(PrintStream err) {
        this.err = err;
    }

    public static void main(String[] args) {
        // stdout is reserved for the single READY line; route any stray System.out writes to stderr.
        PrintStream stdout = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        PrintStream stderr = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        System.setOut(stderr);

        Options opts;
        try {
            opts = Options.parse(args);
        } catch (IllegalArgumentException e) {
            stderr.println("error: " + e.getMessage());
            stderr.println(Options.USAGE);
            System.exit(2);
            return;
        }
        if (opts.help) {
            stderr.println(Options.USAGE);
            return;
        }

        Server server = new Server(stderr);
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "oretrace-neo4j-shutdown"));
        int port;
        try {
            port = server.start(opts);
        } catch (Throwable t) {
            stderr.println("NEO4J FAILED: " + t);
            t.printStackTrace(stderr);
            System.exit(1);
            return;
        }

        stdout.println("NEO4J READY bolt://127.0.0.1:" + port);
        stdout.flush();

        if (opts.watchStdin) {
            waitForStdinEof(System.in);
            stderr.println("oretrace-neo4j: stdin closed, shutting down");
            System.exit(0); // runs the shutdown hook
        } else {
            // Block until a signal triggers the shutdown hook (which exits the JVM).
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException ignored) {
                System.exit(0);
            }
        }
    }

    private static void waitForStdinEof(InputStream in) {
        byte[] buf = new byte[256];
        try {
            while (in.read(buf) >= 0) {
                // ignore input; only EOF matters
            }
        } catch (IOException ignored) {
            // treat a broken stdin like EOF
        }
    }

    /** Starts the DBMS and returns the bound Bolt port. */
    private int start(Options opts) throws IOException {
        Path home;
        synchronized (lock) {
            if (opts.store != null) {
                home = opts.store.toAbsolutePath();
                Files.createDirectories(home);
            } else {
                tempStore = Files.createTempDirectory("oretrace-neo4j-");
                home = tempStore;
            }
        }
        err.println("oretrace-neo4j: store " + home + (opts.store == null ? " (temporary)" : ""));

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                .setUserLogProvider(new Log4jLogProvider(err, opts.verbose ? Level.DEBUG : Level.INFO))
                .setConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress("127.0.0.1"))
                .setConfig(GraphDatabaseSettings.default_advertised_address, new SocketAddress("127.0.0.1"))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", opts.port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", opts.port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                // Netty's default graceful shutdown (quiet period) makes every stop take ~10 s.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(5))
                .setConfig(GraphDatabaseSettings.routing_enabled, false)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.auth_minimum_password_length, 1)
                .setConfig(GraphDatabaseSettings.pagecache_memory, opts.pagecacheBytes)
                // Keep the on-disk footprint small: no 256 MiB preallocated transaction log files.
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, 64L * 1024 * 1024);
        if (opts.store == null) {
            builder.setConfig(GraphDatabaseSettings.keep_logical_logs, "false"); // throwaway store
        }

        DatabaseManagementService service = builder.build();
        synchronized (lock) {
            dbms = service;
            if (stopped) { // a signal arrived while we were starting
                throw new IllegalStateException("shut down during startup");
            }
        }

        setPassword(service, opts.password);

        GraphDatabaseService db = service.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        db.executeTransactionally("RETURN 1"); // the default database is up and answering
        if (opts.init != null) {
            runInit(db, opts.init);
        }
        HostnamePort bolt = ((GraphDatabaseAPI) db).getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class)
                .getLocalAddress(ConnectorType.BOLT);
        if (bolt == null) {
            throw new IllegalStateException("Bolt connector did not register a local address");
        }
        err.println("oretrace-neo4j: bolt listening on " + bolt);
        return bolt.getPort();
    }

    /**
     * Runs the statements of {@code file} (each ending with ';' at the end of a line) on the default
     * database, each in its own transaction; a statement returning a column {@code repeat} runs again
     * until that is 0 (a batched update). Lines starting with "//" are comments.
     */
    private void runInit(GraphDatabaseService db, Path file) throws IOException {
        StringBuilder statement = new StringBuilder();
        int count = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("//")) {
                continue;
            }
            statement.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                String text = statement.toString().strip();
                runRepeated(db, text.substring(0, text.length() - 1));
                statement.setLength(0);
                count++;
            }
        }
        if (!statement.toString().isBlank()) {
            runRepeated(db, statement.toString());
            count++;
        }
        err.println("oretrace-neo4j: ran " + count + " statements of " + file);
    }

    private static void runRepeated(GraphDatabaseService db, String query) {
        while (true) {
            long again = db.executeTransactionally(query, Map.of(), result -> {
                long n = 0;
                if (result.columns().contains("repeat")) {
                    while (result.hasNext()) {
                        Object value = result.next().get("repeat");
                        n += value instanceof Number number ? number.longValue() : 0;
                    }
                }
                return n;
            });
            if (again == 0) {
                return;
            }
        }
    }

    /** Sets the neo4j user's password (idempotent across restarts of a persistent store). */
    private void setPassword(DatabaseManagementService service, String password) {
        GraphDatabaseService system = service.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        try {
            system.executeTransactionally(
                    "ALTER USER " + USER + " SET PASSWORD $pw CHANGE NOT REQUIRED", Map.of("pw", password));
        } catch (RuntimeException e) {
            // A persistent store may already have this password ("Old password and new password cannot be
            // the same"); then only make sure no change is required. Anything else is a real error.
            String msg = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
            if (!msg.contains("cannot be the same")) {
                throw e;
            }
            system.executeTransactionally("ALTER USER " + USER + " SET PASSWORD CHANGE NOT REQUIRED");
        }
    }

    /** Shutdown hook body: stop the DBMS, then delete a temporary store. Safe to call more than once. */
    private void stop() {
        synchronized (lock) {
            if (stopped) {
                return;
            }
            stopped = true;
            if (dbms != null) {
                long t0 = System.nanoTime();
                try {
                    dbms.shutdown();
                    err.println("oretrace-neo4j: shut down in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
                } catch (Throwable t) {
                    err.println("oretrace-neo4j: error during shutdown: " + t);
                }
            }
            if (tempStore != null) {
                try {
                    deleteRecursively(tempStore);
                    err.println("oretrace-neo4j: removed " + tempStore);
                } catch (IOException e) {
                    err.println("oretrace-neo4j: could not remove " + tempStore + ": " + e);
                }
            }
            err.flush();
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static final class Options {
        static final String USAGE = String.join("\n",
                "usage: java -jar oretrace-neo4j-server.jar [options]",
                "  --port N          Bolt port on 127.0.0.1 (default 7687; 0 = any free port)",
                "  --password PW     password for user neo4j (default: $" + PASSWORD_ENV + " or "
                        + DEFAULT_PASSWORD + ")",
                "  --store DIR       persistent DBMS home directory (default: fresh temp dir, deleted on exit)",
                "  --pagecache SIZE  page cache size, e.g. 256m, 1g (default 256m)",
                "  --init FILE       run the Cypher statements of FILE (';'-terminated) once the database is up",
                "  --no-stdin        do not stop when stdin closes (stop with SIGTERM/SIGINT only)",
                "  --verbose         debug-level user log on stderr",
                "Prints 'NEO4J READY bolt://127.0.0.1:PORT' on stdout when ready.");

        int port = 7687;
        String password;
        Path store;
        Path init;
        long pagecacheBytes = 256L * 1024 * 1024;
        boolean watchStdin = true;
        boolean verbose;
        boolean help;

        static Options parse(String[] args) {
            Options o = new Options();
            String envPw = System.getenv(PASSWORD_ENV);
            o.password = envPw != null && !envPw.isEmpty() ? envPw : DEFAULT_PASSWORD;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String value = null;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) {
                    value = a.substring(eq + 1);
                    a = a.substring(0, eq);
                }
                switch (a) {
                    case "-h", "--help" -> o.help = true;
                    case "--no-stdin" -> o.watchStdin = false;
                    case "--verbose" -> o.verbose = true;
                    case "--port", "--password", "--store", "--pagecache", "--init" -> {
                        if (value == null) {
                            if (i + 1 >= args.length) {
                                throw new IllegalArgumentException(a + " needs a value");
                            }
                            value = args[++i];
                        }
                        switch (a) {
                            case "--port" -> {
                                try {
                                    o.port = Integer.parseInt(value);
                                } catch (NumberFormatException e) {
                                    throw new IllegalArgumentException("bad port: " + value);
                                }
                                if (o.port < 0 || o.port > 65535) {
                                    throw new IllegalArgumentException("bad port: " + value);
                                }
                            }
                            case "--password" -> {
                                if (value.isEmpty()) {
                                    throw new IllegalArgumentException("empty password");
                                }
                                o.password = value;
                            }
                            case "--store" -> o.store = Path.of(value);
                            case "--init" -> o.init = Path.of(value);
                            default -> o.pagecacheBytes = parseSize(value);
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
                }
            }
            return o;
        }

        static long parseSize(String s) {
            String v = s.trim().toLowerCase(Locale.ROOT);
            long mult = 1;
            if (v.endsWith("k")) {
                mult = 1024L;
            } else if (v.endsWith("m")) {
                mult = 1024L * 1024;
            } else if (v.endsWith("g")) {
                mult = 1024L * 1024 * 1024;
            }
            if (mult != 1) {
                v = v.substring(0, v.length() - 1);
            }
            try {
                long n = Long.parseLong(v) * mult;
                if (n <= 0) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad size: " + s);
            }
        }
    }
}
