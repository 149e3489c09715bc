package io.berth.client;

import static io.berth.client.testing.Programs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.client.layout.OciLayoutWriter;
import io.berth.client.testing.Distribution;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file is shared with skopeo (and podman, which reads it the same way): each must read what the other wrote. */
class DockerConfigSkopeoTest {
    @TempDir
    Path dir;

    /** A registry asking for Basic authentication, holding {@code repo:v1}, pushed by skopeo from a layout. */
    private Distribution registryWithImage() throws Exception {
        OciLayoutWriter layout = OciLayoutWriter.create(dir.resolve("layout"));
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
                .getBytes(StandardCharsets.UTF_8);
        Digest configDigest = layout.writeBlob(config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{"
                + "\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest
                + "\",\"size\":" + config.length + "},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
        layout.tag(new Descriptor(MediaTypes.OCI_MANIFEST, layout.writeBlob(manifest), manifest.length), "v1");
        Distribution registry = Distribution.start(dir.resolve("registry"), Map.of("alice", "wonder-land"));
        try {
            run("skopeo", "skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "alice:wonder-land",
                    "oci:" + layout.root() + ":v1", "docker://" + registry.address() + "/repo:v1");
        } catch (AssertionError e) {
            registry.close();
            throw e;
        }
        return registry;
    }

    @Test
    void skopeoSignsInWithWhatLoginWrote() throws Exception {
        try (Distribution registry = registryWithImage()) {
            Path authfile = dir.resolve("auth").resolve("config.json");
            String image = "docker://" + registry.address() + "/repo:v1";
            DockerConfig.at(authfile).login(registry.address(), new Credentials.Basic("alice", "wrong"));
            assertThatThrownBy(() -> run("skopeo", "skopeo", "inspect", "--raw", "--tls-verify=false",
                    "--authfile", authfile.toString(), image)).hasMessageContaining("unauthorized");

            DockerConfig.at(authfile).login(registry.address(), new Credentials.Basic("alice", "wonder-land"));
            assertThat(run("skopeo", "skopeo", "inspect", "--raw", "--tls-verify=false", "--authfile",
                    authfile.toString(), image)).contains(MediaTypes.OCI_MANIFEST);
        }
    }

    @Test
    void whatSkopeoLoginWroteIsReadAndWhatItsLogoutRemovedIsGone() throws Exception {
        try (Distribution registry = registryWithImage()) {
            Path authfile = dir.resolve("auth.json");
            run("skopeo", "skopeo", "login", "--tls-verify=false", "--authfile", authfile.toString(),
                    "-u", "alice", "-p", "wonder-land", registry.address());
            assertThat(DockerConfig.at(authfile).credentialsFor(registry.address()))
                    .contains(new Credentials.Basic("alice", "wonder-land"));

            run("skopeo", "skopeo", "logout", "--authfile", authfile.toString(), registry.address());
            assertThat(DockerConfig.at(authfile).credentialsFor(registry.address())).isEmpty();
        }
    }
}
