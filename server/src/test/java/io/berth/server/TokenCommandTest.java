package io.berth.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.registry.metadata.Robot;
import io.berth.registry.metadata.SqlMetadataStore;
import io.berth.server.auth.RobotTokens;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code berth token create|list|revoke}, run in-process against a data directory of their own. */
class TokenCommandTest {
    private static final Pattern TOKEN = Pattern.compile("Token: +(berth_rt_\\S+)");

    @TempDir
    Path data;

    private record Run(int exitCode, String out, String err) {
    }

    private Run berth(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = new CommandLine(new Main())
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(all.indexOf("token") + 2, List.of("--data", data.toString()));
        return new Run(commandLine.execute(all.toArray(String[]::new)), out.toString(), err.toString());
    }

    private static String token(Run run) {
        Matcher m = TOKEN.matcher(run.out());
        assertThat(m.find()).as("token in: %s", run.out()).isTrue();
        return m.group(1);
    }

    private Optional<Robot> login(String token) {
        return withTokens(tokens -> tokens.authenticate("robot$ci", token));
    }

    private <T> T withTokens(Function<RobotTokens, T> work) {
        try (SqlMetadataStore store = SqlMetadataStore.open("jdbc:sqlite:" + data.resolve("metadata.db"), null, null)) {
            return work.apply(new RobotTokens(store, Clock.systemUTC()));
        }
    }

    @Test
    void createPrintsATokenOnceThatLogsInAsTheRobot() {
        Run create = berth("token", "create", "--name", "ci", "--repo", "team/*", "--repo", "shared/**",
                "--actions", "pull,push", "--expires", "30d");

        assertThat(create.exitCode()).as(create.err()).isZero();
        String token = token(create);
        assertThat(create.out())
                .contains("Username: robot$ci")
                .contains("shown only once")
                .contains("Repositories: team/*, shared/**")
                .contains("Actions:      pull, push")
                .containsPattern("Expires: +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        Robot robot = login(token).orElseThrow();
        assertThat(robot.repositories()).containsExactly("team/*", "shared/**");
        assertThat(robot.actions()).containsExactly("pull", "push");
        assertThat(Duration.between(Instant.now(), robot.expiresAt()))
                .isBetween(Duration.ofDays(30).minusMinutes(1), Duration.ofDays(30));
    }

    @Test
    void aTokenNeverExpiresUnlessToldTo() {
        Run create = berth("token", "create", "--name", "ci", "--repo", "**", "--actions", "pull");

        assertThat(create.out()).contains("Expires:      never");
        assertThat(login(token(create))
                .orElseThrow().expiresAt()).isNull();
    }

    @Test
    void listShowsEveryRobotButNoTokenOrHash() {
        Run ci = berth("token", "create", "--name", "ci", "--repo", "team/*,other/app", "--actions", "push,pull",
                "--expires", "never");
        withTokens(tokens -> tokens.create("old", List.of("**"), List.of("pull"), Duration.ofMillis(1)));

        Run list = berth("token", "list");

        assertThat(list.exitCode()).isZero();
        List<String> lines = list.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).matches("NAME +REPOSITORIES +ACTIONS +CREATED +EXPIRES");
        assertThat(lines.get(1)).matches("ci +team/\\*,other/app +pull,push +\\S+Z +never");
        assertThat(lines.get(2)).matches("old +\\*\\* +pull +\\S+Z +\\S+Z \\(expired\\)");
        String hash = withTokens(tokens -> tokens.list().getFirst().tokenHash());
        assertThat(list.out()).doesNotContain(token(ci)).doesNotContain(hash).doesNotContain("berth_rt_");
    }

    @Test
    void listSaysWhenThereAreNoRobots() throws Exception {
        Files.createDirectories(data);
        Run list = berth("token", "list");
        assertThat(list.exitCode()).isZero();
        assertThat(list.out()).startsWith("No robots.");
    }

    @Test
    void revokeDeletesTheRobotAndItsTokenStopsWorking() {
        String token = token(berth("token", "create", "--name", "ci", "--repo", "**", "--actions", "pull"));

        Run revoke = berth("token", "revoke", "ci");

        assertThat(revoke.exitCode()).isZero();
        assertThat(revoke.out()).contains("Revoked robot 'ci'");
        assertThat(login(token)).isEmpty();
        assertThat(berth("token", "list").out()).startsWith("No robots.");
    }

    @Test
    void revokingAnUnknownRobotFails() {
        berth("token", "create", "--name", "ci", "--repo", "**", "--actions", "pull");

        Run revoke = berth("token", "revoke", "cd");

        assertThat(revoke.exitCode()).isEqualTo(1);
        assertThat(revoke.err()).isEqualTo("berth: no robot named 'cd'" + System.lineSeparator());
        assertThat(berth("token", "list").out()).contains("ci ");
    }

    @Test
    void aSecondRobotOfTheSameNameFailsAndTheFirstKeepsWorking() {
        String token = token(berth("token", "create", "--name", "ci", "--repo", "**", "--actions", "pull"));

        Run again = berth("token", "create", "--name", "ci", "--repo", "**", "--actions", "admin");

        assertThat(again.exitCode()).isEqualTo(1);
        assertThat(again.err()).contains("berth: robot 'ci' exists already");
        assertThat(again.out()).doesNotContain("berth_rt_");
        assertThat(login(token)).isPresent();
    }

    @Test
    void invalidInputIsReportedInOneLine() {
        Run action = berth("token", "create", "--name", "ci", "--repo", "**", "--actions", "pull,write");
        assertThat(action.exitCode()).isEqualTo(1);
        assertThat(action.err()).isEqualTo("berth: unknown action 'write' (use pull, push, delete, admin)"
                + System.lineSeparator());

        Run expiry = berth("token", "create", "--name", "ci", "--repo", "**", "--actions", "pull", "--expires", "soon");
        assertThat(expiry.exitCode()).isEqualTo(1);
        assertThat(expiry.err()).contains("invalid duration 'soon'");
    }

    @Test
    void listAndRevokeDoNotCreateAMissingDataDirectory() throws Exception {
        Files.delete(data);

        Run list = berth("token", "list");

        assertThat(list.exitCode()).isEqualTo(1);
        assertThat(list.err()).contains("no data directory at " + data);
        assertThat(data).doesNotExist();
        assertThat(berth("token", "revoke", "ci").exitCode()).isEqualTo(1);
        assertThat(data).doesNotExist();
    }

    @Test
    void theDataDirectoryCanComeFromTheConfigFile() throws Exception {
        Path elsewhere = data.resolve("elsewhere");
        Path file = data.resolve("berth.yaml");
        Files.writeString(file, "data: " + elsewhere + "\n");
        StringWriter out = new StringWriter();
        int exit = new CommandLine(new Main()).setOut(new PrintWriter(out, true))
                .execute("token", "create", "--config", file.toString(), "--name", "ci", "--repo", "**",
                        "--actions", "pull");

        assertThat(exit).isZero();
        assertThat(elsewhere.resolve("metadata.db")).exists();
    }
}
