package io.berth.server.cli;

import io.berth.server.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code berth} command line run in this JVM, as {@code Main} builds it, with stdout and stderr captured: client
 * commands are plain picocli commands, so a test needs no child process unless stdin or a terminal matters.
 */
final class BerthCli {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** What a run printed and its exit code. */
    record Result(List<String> args, int exitCode, String out, String err) {
        Result ok() {
            if (exitCode != 0) {
                throw new AssertionError(describe());
            }
            return this;
        }

        JsonNode json() {
            return JSON.readTree(out);
        }

        String describe() {
            return "`berth " + String.join(" ", args) + "` exited with " + exitCode + "\n--- stderr ---\n" + err
                    + "\n--- stdout ---\n" + out;
        }
    }

    private final List<String> common;

    private BerthCli(List<String> common) {
        this.common = List.copyOf(common);
    }

    /** Commands that speak plain HTTP to loopback registries and read logins from {@code config} alone. */
    static BerthCli plainHttp(Path config) {
        return new BerthCli(List.of("--plain-http", "--registry-config", config.toString()));
    }

    /** Runs {@code berth COMMAND ARGS...}, this runner's options added after the command's name. */
    Result run(String command, String... args) {
        List<String> all = new ArrayList<>();
        all.add(command);
        all.addAll(common);
        all.addAll(List.of(args));
        CommandLine commandLine = new CommandLine(new Main());
        ClientCommands.addTo(commandLine);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(all.toArray(String[]::new));
        return new Result(all, exitCode, out.toString(), err.toString());
    }
}
