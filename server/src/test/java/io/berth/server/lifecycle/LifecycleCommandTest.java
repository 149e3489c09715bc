package io.berth.server.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.server.BerthServer;
import io.berth.server.Config;
import io.berth.server.Main;
import io.berth.server.protocol.RegistryClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code berth lifecycle preview|apply}, in-process, on the data directory a server wrote and then left, with the
 * policy from the config file.
 */
class LifecycleCommandTest {
    private static final String POLICY = """
            {"rules": [
              {"rulePriority": 1, "description": "keep two releases",
               "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan",
                             "countNumber": 2},
               "action": {"type": "expire"}},
              {"rulePriority": 2, "description": "untagged after a day",
               "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                             "countNumber": 1},
               "action": {"type": "expire"}}
            ]}""";

    @TempDir
    Path dir;
    private Path configFile;
    private Path policyFile;
    private String v1;
    private String v2;
    private String v3;
    private String untagged;

    private record Run(int exitCode, String out, String err) {
    }

    private Run berth(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = new CommandLine(new Main()).setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true)).execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    @BeforeEach
    void pushImagesAndStop() throws Exception {
        policyFile = dir.resolve("policy.json");
        Files.writeString(policyFile, POLICY);
        configFile = dir.resolve("berth.yaml");
        Files.writeString(configFile, """
                data: %s
                lifecycle:
                  - repositories: ["team/**"]
                    policyFile: %s
                """.formatted(dir.resolve("data"), policyFile));
        Config config = Config.DEFAULTS.withYaml(configFile).withListen("127.0.0.1:0");
        try (BerthServer server = BerthServer.start(config)) {
            RegistryClient client = new RegistryClient("http://127.0.0.1:" + server.port(),
                    RegistryClient.newHttpClient());
            v1 = client.pushImage("team/app", "v1").digest();
            v2 = client.pushImage("team/app", "v2").digest();
            v3 = client.pushImage("team/app", "v3").digest();
            RegistryClient.PushedImage retagged = client.pushImage("team/app", "scratch");
            untagged = retagged.digest();
            client.delete("/v2/team/app/manifests/scratch");
            client.pushImage("other/app", "v1");
            LifecycleDatabase database = new LifecycleDatabase(config.effectiveMetadataUrl());
            database.pushedDaysAgo(v1, 3);
            database.pushedDaysAgo(v2, 2);
            database.pushedDaysAgo(v3, 1);
            database.pushedDaysAgo(untagged, 2);
        }
    }

    @Test
    void previewListsWhatWouldExpireAndWhyWithoutChangingAnything() {
        Run preview = berth("lifecycle", "preview", "--config", configFile.toString());

        assertThat(preview.exitCode()).as(preview.err()).isZero();
        assertThat(preview.out()).contains("team/app: policy for team/** (config); 2 images to expire",
                "REPOSITORY  RULE  DIGEST", "WHY", "2 images would expire. Apply with: berth lifecycle apply");
        assertThat(preview.out()).containsPattern("team/app +1 +" + v1 + " +v1 +\\S+Z +never +more than 2 images: "
                + "3rd newest");
        assertThat(preview.out()).containsPattern("team/app +2 +" + untagged + " +- +\\S+Z +never +pushed 2 days ago "
                + "\\(more than 1\\)");
        assertThat(preview.out()).doesNotContain("other/app", v2, v3);

        Run again = berth("lifecycle", "preview", "--config", configFile.toString());
        assertThat(again.out()).isEqualTo(preview.out());
        assertThat(berth("lifecycle", "preview", "--config", configFile.toString(), "--repository", "other/app")
                .out()).isEqualTo("No lifecycle policy governs other/app." + System.lineSeparator());
    }

    @Test
    void applyExpiresWhatThePreviewListed() {
        Run apply = berth("lifecycle", "apply", "--config", configFile.toString());

        assertThat(apply.exitCode()).as(apply.err()).isZero();
        assertThat(apply.out()).contains(v1, untagged, "Expired 2 images.").doesNotContain(v2, v3);
        LifecycleDatabase database = new LifecycleDatabase("jdbc:sqlite:" + dir.resolve("data/metadata.db"));
        assertThat(database.exists(v1)).isFalse();
        assertThat(database.exists(untagged)).isFalse();
        assertThat(database.exists(v2) && database.exists(v3)).isTrue();
        assertThat(berth("lifecycle", "preview", "--config", configFile.toString()).out())
                .contains("0 images would expire.");
    }

    @Test
    void anInvalidPolicyIsOneLineNamingItForTheCommandAndEndsServerStartup() throws Exception {
        Files.writeString(policyFile, POLICY.replace("\"countUnit\": \"days\",", ""));

        Run preview = berth("lifecycle", "preview", "--config", configFile.toString());

        assertThat(preview.exitCode()).isEqualTo(1);
        assertThat(preview.err()).isEqualTo("berth: lifecycle policy for team/**: rulePriority 2: selection.countUnit "
                + "is required with countType sinceImagePushed (use \"days\")" + System.lineSeparator());
        assertThatThrownBy(() -> BerthServer.start(Config.DEFAULTS.withYaml(configFile).withListen("127.0.0.1:0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("lifecycle policy for team/**: rulePriority 2: selection.countUnit");
    }
}
