package io.berth.server;

import io.berth.server.cli.ClientCommands;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** The {@code berth} command line. */
@Command(name = "berth", mixinStandardHelpOptions = true, version = "Berth 0.1.0",
        description = "An OCI container registry.",
        subcommands = {Main.Serve.class, TokenCommand.class, LifecycleCommand.class, GcCommand.class,
                TrainCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        String named = args.length == 0 ? "" : args[0];
        boolean client = ClientCommands.has(named);
        CommandLine commandLine = new CommandLine(new Main());
        // picocli reflects on every command it is given, which is most of a client command's start: a client command
        // gets only its own, the server's commands none of them, help all of them. A client command needs none of
        // the server's startup work either (it logs nothing).
        if (client) {
            ClientCommands.addTo(commandLine, named);
        } else {
            Startup.begin();
            commandLine.setExecutionStrategy(Startup::runAfterLogging);
            if (!commandLine.getSubcommands().containsKey(named)) {
                ClientCommands.addTo(commandLine);
            }
        }
        // UTF-8 whatever the locale: JSON answers must be, and `inspect --raw` must print a manifest's exact bytes.
        commandLine.setOut(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
        // Configuration mistakes (a bad address, a missing or mismatched TLS file) are the operator's to fix: the
        // message names what is wrong, and a stack trace would only bury it.
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (!(e instanceof IllegalArgumentException)) {
                throw e;
            }
            cmd.getErr().println("berth: " + e.getMessage());
            return cmd.getCommandSpec().exitCodeOnExecutionException();
        });
        System.exit(commandLine.execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = "Runs the registry (defaults: 127.0.0.1:5000, data in ./berth-data, SQLite metadata).")
    static final class Serve implements Callable<Integer> {
        @Mixin
        ConfigOptions configOptions = new ConfigOptions();

        @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Address to listen on (env BERTH_LISTEN).")
        String listen;

        @Option(names = "--tls-cert", paramLabel = "PEM", description = "TLS certificate chain (env BERTH_TLS_CERT).")
        Path tlsCertificate;

        @Option(names = "--tls-key", paramLabel = "PEM", description = "TLS private key (env BERTH_TLS_KEY).")
        Path tlsKey;

        @Option(names = "--tls-client-ca", paramLabel = "PEM",
                description = "Accept client certificates (mTLS) issued by these authorities "
                        + "(env BERTH_TLS_CLIENT_CA).")
        Path tlsClientCa;

        @Option(names = "--tls-client-auth", paramLabel = "optional|require",
                description = "Whether clients must present a certificate "
                        + "(env BERTH_TLS_CLIENT_AUTH; default optional).")
        String tlsClientAuth;

        @Option(names = "--allow-anonymous",
                description = "Serve without authentication on a non-loopback address (env BERTH_ALLOW_ANONYMOUS).")
        boolean allowAnonymous;

        @Override
        public Integer call() throws Exception {
            Config config = load(System.getenv());
            Startup.loadDriver(config);
            BerthServer server = BerthServer.start(config);
            // SIGTERM, what orchestrators and init systems send, drains: not ready at once, serving on for the drain
            // delay, then in-flight requests finish. Handled here rather than by the JVM's shutdown, which would end
            // the process with status 143 however cleanly it stopped: once the server has stopped, join returns and
            // the process exits 0. Other ends (SIGINT, say) stop through the shutdown hook without the delay.
            Signal.handle(new Signal("TERM"), signal -> Thread.ofPlatform().name("berth-shutdown")
                    .start(server::shutdown));
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "berth-shutdown-hook"));
            System.out.println(server.describe());
            server.join();
            return 0;
        }

        Config load(Map<String, String> env) throws Exception {
            Config config = configOptions.load(env);
            if (listen != null) {
                config = config.withListen(listen);
            }
            if (tlsCertificate != null || tlsKey != null || tlsClientCa != null || tlsClientAuth != null) {
                TlsConfig tls = config.tls();
                config = config.withTls(new TlsConfig(tlsCertificate != null ? tlsCertificate : tls.certificate(),
                        tlsKey != null ? tlsKey : tls.privateKey(), tlsClientCa != null ? tlsClientCa : tls.clientCa(),
                        tlsClientAuth != null ? TlsConfig.parseClientAuth(tlsClientAuth)
                                : tls.requireClientCertificate()));
            }
            if (allowAnonymous) {
                config = config.withAllowAnonymous(true);
            }
            return config;
        }
    }
}
