package io.berth.server;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.berth.registry.metadata.SqlMetadataStore;
import java.lang.management.ManagementFactory;
import java.text.SimpleDateFormat;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * Shortens the start of the process. On a slow day of the 2-core benchmark machine 1.5-1.7 s went by before the
 * first answer on {@code /v2/}, about half of it in library initializations that take as long on every start:
 * <ul>
 * <li>Jetty asks the JVM whether object references are compressed through the platform MBean server, which starts
 * all of JMX for that one question (~0.2 s); given the answer in Jetty's system property, it does not ask.
 * <li>Reading logback's configuration (~0.2 s), listing the JDK's locales (Jetty's {@code MimeTypes} does so when it
 * is first used) and building calendar data (Jackson's date format, on its first use) run on a thread of their own,
 * on the second core, while the main thread reads the command line (picocli's reflection, ~0.3 s). Whichever thread
 * comes second to locales or calendars waits for the first, as class initialization does; for logging, the main
 * thread waits explicitly ({@link #runAfterLogging}), because SLF4J hands a thread that asks while another
 * initializes it a stand-in logger.
 * <li>SQLite's native library (~0.1 s) loads on another thread while the main thread builds the HTTP side.
 * </ul>
 */
final class Startup {
    /** Jetty's {@code MemoryUtils} reads it instead of asking the MBean server. */
    static final String JETTY_REFERENCES_PER_CACHE_LINE = "org.eclipse.jetty.util.referencesPerCacheLine";

    private static final CountDownLatch LOGGING = new CountDownLatch(1);

    private Startup() {
    }

    /** First thing in {@code main}. */
    static void begin() {
        if (System.getProperty(JETTY_REFERENCES_PER_CACHE_LINE) == null) {
            System.setProperty(JETTY_REFERENCES_PER_CACHE_LINE, Integer.toString(referencesPerCacheLine()));
        }
        inBackground(() -> {
            try {
                LoggerFactory.getILoggerFactory();
            } finally {
                LOGGING.countDown();
            }
            Locale.getAvailableLocales();
            new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSSX", Locale.US);
        });
    }

    /** Runs the command given, once logging is set up: picocli's execution strategy. */
    static int runAfterLogging(CommandLine.ParseResult parsed) throws CommandLine.ExecutionException {
        try {
            LOGGING.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CommandLine.ExecutionException(parsed.commandSpec().commandLine(), "interrupted", e);
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    /** Once the configuration is known: the metadata database's driver loads meanwhile. */
    static void loadDriver(Config config) {
        inBackground(() -> SqlMetadataStore.loadDriver(config.effectiveMetadataUrl()));
    }

    /** What Jetty would find: a cache line (64 bytes unless Jetty is told otherwise) in references of 4 or 8 bytes. */
    static int referencesPerCacheLine() {
        int longs = Integer.getInteger("org.eclipse.jetty.util.cacheLineBytes", 64) / Long.BYTES;
        boolean compressed = Boolean.parseBoolean(ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                .getVMOption("UseCompressedOops").getValue());
        return compressed ? longs * 2 : longs;
    }

    private interface Work {
        void run() throws Exception;
    }

    /** Runs {@code work} on a thread of its own; what fails fails again, and is reported, where the server needs it. */
    private static void inBackground(Work work) {
        Thread.ofPlatform().daemon().name("berth-startup").start(() -> {
            try {
                work.run();
            } catch (Exception e) {
                // reported where the server needs what failed
            }
        });
    }
}
