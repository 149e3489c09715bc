package io.berth.server.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;

/**
 * Where the bytes of an image graph (index → manifests → config and layers) can be read by digest: an OCI layout, a
 * {@code dir:} transport directory, or the registry over HTTP. Two sources hold the same image when every node of the
 * graph has identical bytes in both.
 */
interface ImageContent {
    byte[] manifest(String digest);

    byte[] blob(String digest);

    static ImageContent of(OciLayout layout) {
        return new ImageContent() {
            @Override
            public byte[] manifest(String digest) {
                return layout.blob(digest);
            }

            @Override
            public byte[] blob(String digest) {
                return layout.blob(digest);
            }
        };
    }

    /** The registry itself: manifests and blobs fetched by digest, each checked against its digest on the way. */
    static ImageContent of(RegistryHttp http, String repository) {
        return new ImageContent() {
            @Override
            public byte[] manifest(String digest) {
                RegistryHttp.Manifest manifest = http.manifest(repository, digest);
                assertThat(Sha256.of(manifest.body())).as("digest of manifest %s as served", digest).isEqualTo(digest);
                return manifest.body();
            }

            @Override
            public byte[] blob(String digest) {
                return http.blob(repository, digest);
            }
        };
    }

    /**
     * A directory written by the containers/image {@code dir:} transport: {@code manifest.json} for the top manifest,
     * {@code <hex>.manifest.json} for the instances of a list, {@code <hex>} for blobs.
     */
    static ImageContent ofDirTransport(Path dir) {
        return new ImageContent() {
            @Override
            public byte[] manifest(String digest) {
                byte[] top = read(dir.resolve("manifest.json"));
                if (Sha256.of(top).equals(digest)) {
                    return top;
                }
                return read(dir.resolve(Sha256.encoded(digest) + ".manifest.json"));
            }

            @Override
            public byte[] blob(String digest) {
                return read(dir.resolve(Sha256.encoded(digest)));
            }

            private static byte[] read(Path file) {
                if (!Files.isRegularFile(file)) {
                    throw new AssertionError(file + " missing");
                }
                try {
                    return Files.readAllBytes(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }

    /**
     * Asserts that {@code actual} holds exactly the bytes {@code expected} holds for the manifest or index
     * {@code digest} and everything below it. Returns how many nodes were compared.
     */
    static int assertSameGraph(ImageContent expected, ImageContent actual, String digest) {
        byte[] wanted = expected.manifest(digest);
        assertThat(Sha256.of(wanted)).as("expected manifest %s", digest).isEqualTo(digest);
        assertThat(actual.manifest(digest)).as("bytes of manifest %s", digest).isEqualTo(wanted);
        int compared = 1;
        JsonNode manifest = OciLayout.JSON.readTree(wanted);
        for (String blob : OciLayout.references(manifest)) {
            boolean isChildManifest = false;
            for (JsonNode child : manifest.path("manifests")) {
                isChildManifest |= child.path("digest").asString().equals(blob);
            }
            if (isChildManifest) {
                compared += assertSameGraph(expected, actual, blob);
            } else {
                byte[] bytes = expected.blob(blob);
                assertThat(Sha256.of(bytes)).as("expected blob %s", blob).isEqualTo(blob);
                assertThat(actual.blob(blob)).as("bytes of blob %s", blob).isEqualTo(bytes);
                compared++;
            }
        }
        return compared;
    }
}
