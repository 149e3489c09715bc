package io.berth.server.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.QuotaRule;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.protocol.TestContent;
import io.berth.server.testing.AuthFixture;
import io.berth.server.testing.Backend;
import io.berth.server.testing.ExternalTools;
import io.berth.server.testing.TestRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The web UI end to end in a real headless Chromium (Debian's {@code chromium}, driven by {@code playwright-core}
 * from npm, installed by {@code .ci/run}): {@code src/test/browser/ui.test.mjs} signs in, browses to an image with a
 * signature and an SBOM, checks the referrer tree and that an annotation's markup shows as text, deletes a tag and
 * looks at usage. Screenshots of the main pages go to {@code target/ui-screenshots}, or to the directory the system
 * property {@code berth.ui.screenshots} names (docs/ui.md's come from there).
 */
class UiBrowserTest {
    private static final Path SCRIPTS = Path.of("src/test/browser");

    @Test
    void aUserSignsInBrowsesToAnImageWithItsReferrersDeletesATagAndSeesUsage() throws Exception {
        ExternalTools.require("node");
        ExternalTools.require("chromium");
        ExternalTools.requireFile(SCRIPTS.resolve("node_modules/playwright-core"),
                "npm ci --prefix server/src/test/browser");
        Path screenshots = Path.of(System.getProperty("berth.ui.screenshots", "target/ui-screenshots"))
                .toAbsolutePath();
        Files.createDirectories(screenshots);
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE, config -> AuthFixture.secured(config)
                .withQuotas(List.of(new QuotaRule(List.of("team/**"), 1L << 30, 100L))))) {
            RegistryClient alice = new RegistryClient(registry.url()).authorized(AuthFixture.basic("alice"));
            UiContent content = UiContent.push(alice, "team/app");
            alice.pushImage("team/web", "v1");
            alice.pushImage("public/tool", "v1");
            Map<String, String> described = new LinkedHashMap<>();
            described.put("repository", content.repository());
            described.put("image", content.image());
            described.put("signature", content.signature());
            described.put("sbom", content.sbom());
            described.put("sbomSignature", content.sbomSignature());
            described.put("user", "alice");
            described.put("password", AuthFixture.password("alice"));
            described.put("hostile", UiContent.HOSTILE);

            Process node = new ProcessBuilder("node", "ui.test.mjs", registry.url(),
                    new String(TestContent.toJson(described), StandardCharsets.UTF_8), screenshots.toString())
                    .directory(SCRIPTS.toFile()).redirectErrorStream(true).start();
            boolean ended = node.waitFor(3, TimeUnit.MINUTES);
            if (!ended) {
                node.destroyForcibly();
            }
            String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(ended).as("the browser test ended in time:%n%s", output).isTrue();
            assertThat(node.exitValue()).as("the browser test:%n%s", output).isZero();
            assertThat(output).contains("ok - the image page").doesNotContain("not ok");
            assertThat(screenshots.resolve("image.png")).isNotEmptyFile();
        }
    }
}
