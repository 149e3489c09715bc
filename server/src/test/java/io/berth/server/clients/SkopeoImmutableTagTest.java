package io.berth.server.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.ImmutableTagsRule;
import io.berth.server.clients.OciLayout.Descriptor;
import io.berth.server.clients.OciLayout.Flavour;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** skopeo pushing another image over an immutable tag fails, and tells its user why. */
class SkopeoImmutableTagTest {
    @RegisterExtension
    static final ClientTestRegistry registry = ClientTestRegistry.configured(config -> config.withImmutableTags(
            List.of(new ImmutableTagsRule(List.of("release/**"), List.of("latest")))), "skopeo");

    @Test
    void overwritingAnImmutableTagFailsWithTheRuleInSkopeosMessage(@TempDir Path tmp) {
        OciLayout layout = OciLayout.create(tmp.resolve("layout"));
        Descriptor first = layout.putImage(Flavour.OCI, "linux", "amd64", Tarballs.randomFiles("first", 2_000));
        Descriptor second = layout.putImage(Flavour.OCI, "linux", "amd64", Tarballs.randomFiles("second", 2_000));
        layout.tag(Map.of("first", first, "second", second));
        String target = "docker://" + registry.hostPort() + "/release/app:v1";
        Skopeo.command("copy", "--preserve-digests", "--dest-tls-verify=false", "oci:" + layout.dir() + ":first",
                target).run();
        Skopeo.command("copy", "--preserve-digests", "--dest-tls-verify=false", "oci:" + layout.dir() + ":first",
                target).run();

        Command.Result refused = Skopeo.command("copy", "--preserve-digests", "--dest-tls-verify=false",
                "oci:" + layout.dir() + ":second", target).exec();

        assertThat(refused.exitCode()).as(refused.describe()).isNotZero();
        assertThat(refused.stderr()).as(refused.describe())
                .contains("denied: tag v1 in release/app is immutable (immutableTags rule 1: release/**, except latest)");
        assertThat(registry.http().manifest("release/app", "v1").dockerContentDigest()).isEqualTo(first.digest());
    }
}
