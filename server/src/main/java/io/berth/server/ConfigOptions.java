package io.berth.server;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
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
}
