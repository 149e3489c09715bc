package io.berth.server;

import io.berth.registry.metadata.Robot;
import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.server.auth.RobotTokens;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code berth token}: robot tokens for CI and automation. The commands open the metadata database directly, so
 * they work whether or not a server is running on it.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Creates, lists and revokes robot tokens (logins for CI and automation).",
        subcommands = {TokenCommand.Create.class, TokenCommand.ListRobots.class, TokenCommand.Revoke.class})
final class TokenCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The work of one subcommand, given the robot tokens of the configured installation. */
    @FunctionalInterface
    private interface Work {
        int run(RobotTokens tokens, PrintWriter out, PrintWriter err);
    }

    /**
     * Runs {@code work} with the robot tokens of the configured installation (its metadata store opened directly).
     *
     * @param creating true when the command may be the first to use the data directory
     */
    private static int withRobotTokens(CommandSpec spec, ConfigOptions options, boolean creating, Work work)
            throws Exception {
        return options.run(spec, creating, (config, out, err) -> {
            try (SqlMetadataStore store = Installation.openMetadata(config)) {
                return work.run(new RobotTokens(store, Clock.systemUTC()), out, err);
            }
        });
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Creates a robot and prints its token, once.")
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConfigOptions configOptions = new ConfigOptions();

        @Option(names = "--name", required = true, paramLabel = "NAME",
                description = "Robot name: lowercase letters and digits, separated by '.', '_' or '-'. "
                        + "It logs in as robot$NAME.")
        String name;

        @Option(names = "--repo", required = true, paramLabel = "PATTERN", split = ",",
                description = "Repositories it may access; repeatable. Globs: * within a path segment, ** across "
                        + "segments (team/*, **).")
        List<String> repositories;

        @Option(names = "--actions", required = true, paramLabel = "ACTION", split = ",",
                description = "Comma-separated: pull, push, delete, admin.")
        List<String> actions;

        @Option(names = "--expires", paramLabel = "DURATION", defaultValue = "never",
                description = "Lifetime such as 90d, 12h or ISO-8601, or 'never' (default: ${DEFAULT-VALUE}).")
        String expires;

        @Override
        public Integer call() throws Exception {
            return withRobotTokens(spec, configOptions, true, (tokens, out, err) -> {
                Duration expiresIn = "never".equalsIgnoreCase(expires.strip()) ? null : Config.parseDuration(expires);
                RobotTokens.Created created = tokens.create(name, repositories, actions, expiresIn);
                Robot robot = created.robot();
                out.println("Created robot '" + robot.name() + "'.");
                out.println();
                out.println("  Username: " + created.username());
                out.println("  Token:    " + created.token());
                out.println();
                out.println("The token is shown only once: Berth keeps only a hash of it. Store it now, for example"
                        + " as a CI secret.");
                out.println("Log in with: docker login -u '" + created.username() + "' --password-stdin REGISTRY");
                out.println();
                out.println("  Repositories: " + String.join(", ", robot.repositories()));
                out.println("  Actions:      " + String.join(", ", robot.actions()));
                out.println("  Expires:      " + (robot.expiresAt() == null ? "never" : time(robot.expiresAt())));
                return 0;
            });
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the robots; never their tokens.")
    static final class ListRobots implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConfigOptions configOptions = new ConfigOptions();

        @Override
        public Integer call() throws Exception {
            return withRobotTokens(spec, configOptions, false, (tokens, out, err) -> {
                List<Robot> robots = tokens.list();
                if (robots.isEmpty()) {
                    out.println("No robots. Create one with: berth token create --name NAME --repo PATTERN "
                            + "--actions pull");
                    return 0;
                }
                Instant now = Instant.now();
                List<List<String>> rows = new ArrayList<>();
                rows.add(List.of("NAME", "REPOSITORIES", "ACTIONS", "CREATED", "EXPIRES"));
                for (Robot robot : robots) {
                    String expires = robot.expiresAt() == null ? "never"
                            : time(robot.expiresAt()) + (robot.expiredAt(now) ? " (expired)" : "");
                    rows.add(List.of(robot.name(), String.join(",", robot.repositories()),
                            String.join(",", robot.actions()), time(robot.createdAt()), expires));
                }
                new TextTable(rows).print(out);
                return 0;
            });
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Deletes a robot; its token stops working at once.")
    static final class Revoke implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConfigOptions configOptions = new ConfigOptions();

        @Parameters(paramLabel = "NAME", description = "The robot's name (with or without robot$).")
        String name;

        @Override
        public Integer call() throws Exception {
            String robot = name.startsWith(RobotTokens.USER_PREFIX) ? name.substring(RobotTokens.USER_PREFIX.length())
                    : name;
            return withRobotTokens(spec, configOptions, false, (tokens, out, err) -> {
                if (!tokens.revoke(robot)) {
                    err.println("berth: no robot named '" + robot + "'");
                    return 1;
                }
                out.println("Revoked robot '" + robot + "'; its token no longer works.");
                return 0;
            });
        }
    }

    private static String time(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
