package io.berth.server;

import io.berth.registry.RegistryException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** The options of every command that works on a Berth installation: where its configuration and data are. */
final class ConfigOptions {
    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (env BERTH_DATA).")
    Path data;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file (env BERTH_CONFIG).")
    Path configFile;

    /** Defaults, then the YAML file, then {@code BERTH_*} variables from {@code env}, then these options. */
    Config load(Map<String, String> env) throws IOException {
        Config config = Config.DEFAULTS;
        Path file = configFile != null ? configFile
                : env.containsKey("BERTH_CONFIG") ? Path.of(env.get("BERTH_CONFIG")) : null;
        if (file != null) {
            config = config.withYaml(file);
        }
        config = config.withEnvironment(env);
        if (data != null) {
            config = config.withData(data);
        }
        return config;
    }

    /** What a command does with the installation, once its configuration is loaded. */
    @FunctionalInterface
    interface Work {
        int run(Config config, PrintWriter out, PrintWriter err) throws Exception;
    }

    /**
     * Loads the configuration (from the process environment) and runs {@code work} on the installation it names.
     * A missing data directory, invalid input or a refused change is one line on standard error and exit code 1.
     *
     * @param creating true when the command may be the first to use the data directory, and so creates it
     */
    int run(CommandSpec spec, boolean creating, Work work) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            Config config = load(System.getenv());
            if (config.metadataUrl() == null && !Files.isDirectory(config.data())) {
                if (!creating) {
                    err.println("berth: no data directory at " + config.data().toAbsolutePath().normalize()
                            + " (set --data, BERTH_DATA or --config)");
                    return 1;
                }
                Files.createDirectories(config.data());
            }
            return work.run(config, out, err);
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("berth: " + e.getMessage());
            return 1;
        } catch (RegistryException e) {
            err.println("berth: " + e.detail());
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }
}
