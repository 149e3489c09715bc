package io.berth.client.layout;

import static io.berth.client.testing.Programs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.client.BlobSource;
import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.Manifest;
import io.berth.oci.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciLayoutTest {
    @TempDir
    Path dir;

    /** An image with one real layer, built by umoci and copied by skopeo into a layout with ref name {@code v1}. */
    private Path skopeoLayout() throws Exception {
        Path umoci = dir.resolve("umoci");
        Path content = dir.resolve("content");
        Files.createDirectories(content);
        Files.writeString(content.resolve("hello"), "hello from a layer\n");
        run("umoci", "umoci", "init", "--layout", umoci.toString());
        run("umoci", "umoci", "new", "--image", umoci + ":base");
        run("umoci", "umoci", "insert", "--rootless", "--image", umoci + ":base", content.toString(), "/etc");
        Path layout = dir.resolve("skopeo");
        run("skopeo", "skopeo", "copy", "oci:" + umoci + ":base", "oci:" + layout + ":v1");
        return layout;
    }

    /** Every blob the manifest names is in the layout and hashes to its digest. */
    private static Manifest assertComplete(OciLayout layout, Descriptor descriptor) throws IOException {
        Manifest manifest = Manifest.parse(layout.readManifest(descriptor), descriptor.mediaType());
        List<Descriptor> blobs = new ArrayList<>(manifest.layers());
        blobs.add(manifest.config());
        assertThat(manifest.layers()).isNotEmpty();
        for (Descriptor blob : blobs) {
            BlobSource source = layout.blob(blob.digest()).orElseThrow();
            assertThat(source.size()).isEqualTo(blob.size());
            assertThat(BlobSource.sha256(source)).isEqualTo(blob.digest());
        }
        return manifest;
    }

    @Test
    void aLayoutSkopeoWroteGivesItsNamedManifestAndBlobsThatMatchTheirDigests() throws Exception {
        Path written = skopeoLayout();
        try (OciLayout layout = OciLayout.open(written)) {
            assertThat(layout.manifests()).hasSize(1);
            Descriptor v1 = layout.resolve("v1");
            assertThat(v1.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
            assertThat(v1.annotations()).containsEntry(OciLayout.REF_NAME, "v1");
            assertThat(layout.resolve(null)).isEqualTo(v1);
            assertThat(layout.readManifest(v1)).isEqualTo(Files.readAllBytes(
                    written.resolve("blobs/sha256/" + v1.digest().hex())));
            assertComplete(layout, v1);
            assertThat(layout.manifest("v2")).isEmpty();
            assertThatThrownBy(() -> layout.resolve("v2")).isInstanceOf(InvalidLayoutException.class)
                    .hasMessageContaining("v2");
        }
    }

    @Test
    void anOciArchiveIsReadInPlaceAndItsBlobsFromAnyOffset() throws Exception {
        Path source = skopeoLayout();
        Path archive = dir.resolve("image.tar");
        run("skopeo", "skopeo", "copy", "oci:" + source + ":v1", "oci-archive:" + archive + ":v1");
        try (OciLayout layout = OciLayout.open(archive)) {
            Descriptor v1 = layout.resolve("v1");
            Manifest manifest = assertComplete(layout, v1);
            Descriptor layer = manifest.layers().getFirst();
            byte[] whole = Files.readAllBytes(source.resolve("blobs/sha256/" + layer.digest().hex()));
            try (InputStream tail = layout.blob(layer.digest()).orElseThrow().open(10)) {
                assertThat(tail.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(whole, 10, whole.length));
            }
        }
    }

    @Test
    void aTarAndAGzippedTarOfALayoutDirectoryReadAsTheDirectoryDoes() throws Exception {
        Path source = skopeoLayout();
        Path tar = dir.resolve("layout.tar");
        Path tgz = dir.resolve("layout.tar.gz");
        run("tar", "tar", "-C", source.toString(), "-cf", tar.toString(), ".");
        run("tar", "tar", "-C", source.toString(), "-czf", tgz.toString(), ".");
        List<Descriptor> expected;
        try (OciLayout layout = OciLayout.open(source)) {
            expected = layout.manifests();
        }
        for (Path archive : List.of(tar, tgz)) {
            try (OciLayout layout = OciLayout.open(archive)) {
                assertThat(layout.manifests()).isEqualTo(expected);
                assertComplete(layout, layout.resolve("v1"));
            }
        }
    }

    @Test
    void aLayoutWrittenHereIsReadBySkopeoAndUmociWithTheManifestByteForByte() throws Exception {
        Path source = skopeoLayout();
        Path target = dir.resolve("written");
        OciLayoutWriter writer = OciLayoutWriter.create(target);
        byte[] manifestBytes;
        try (OciLayout layout = OciLayout.open(source)) {
            Manifest manifest = Manifest.parse(layout.readManifest(layout.resolve("v1")), null);
            for (Descriptor blob : List.of(manifest.config(), manifest.layers().getFirst())) {
                try (InputStream in = layout.blob(blob.digest()).orElseThrow().open(0)) {
                    writer.writeBlob(blob.digest(), in);
                }
            }
            // A manifest of our own, laid out unlike Go's encoder would, to show the bytes pass untouched.
            manifestBytes = """
                    {
                      "schemaVersion": 2,
                      "mediaType": "%s",
                      "config": {"mediaType": "%s", "digest": "%s", "size": %d},
                      "layers": [{"mediaType": "%s", "digest": "%s", "size": %d}],
                      "annotations": {"written.by": "berth"}
                    }
                    """.formatted(MediaTypes.OCI_MANIFEST, manifest.config().mediaType(), manifest.config().digest(),
                    manifest.config().size(), manifest.layers().getFirst().mediaType(),
                    manifest.layers().getFirst().digest(), manifest.layers().getFirst().size())
                    .getBytes(StandardCharsets.UTF_8);
        }
        Digest digest = writer.writeBlob(manifestBytes);
        writer.tag(new Descriptor(MediaTypes.OCI_MANIFEST, digest, manifestBytes.length), "v2");

        assertThat(run("skopeo", "skopeo", "inspect", "--raw", "oci:" + target + ":v2")
                .getBytes(StandardCharsets.UTF_8)).isEqualTo(manifestBytes);
        Path out = dir.resolve("out");
        run("skopeo", "skopeo", "copy", "oci:" + target + ":v2", "dir:" + out);
        assertThat(Files.readAllBytes(out.resolve("manifest.json"))).isEqualTo(manifestBytes);
        assertThat(run("umoci", "umoci", "ls", "--layout", target.toString()).lines()).containsExactly("v2");
    }

    @Test
    void namingAnEntryReplacesTheEntryOfThatNameAndKeepsEverythingElse() throws Exception {
        Path target = dir.resolve("layout");
        OciLayoutWriter writer = OciLayoutWriter.create(target);
        Path index = target.resolve("index.json");
        Files.writeString(index, Files.readString(index).replaceFirst("\\{",
                "{\"annotations\":{\"kept\":\"yes\"},\"x-unknown\":[1,2],"));
        Descriptor a = manifestBlob(writer, "a");
        Descriptor b = manifestBlob(writer, "b");
        Descriptor c = manifestBlob(writer, "c");
        writer.tag(a, "latest");
        writer.tag(b, "stable");
        writer.tag(c, "latest");
        writer.tag(a, null);
        writer.tag(a, null);

        try (OciLayout layout = OciLayout.open(target)) {
            assertThat(layout.manifests()).extracting(Descriptor::digest)
                    .containsExactly(b.digest(), c.digest(), a.digest());
            assertThat(layout.resolve("latest").digest()).isEqualTo(c.digest());
            assertThat(layout.resolve("stable").digest()).isEqualTo(b.digest());
            assertThatThrownBy(() -> layout.resolve(null)).hasMessageContaining("3 manifests");
        }
        assertThat(Files.readString(index)).contains("\"kept\":\"yes\"", "\"x-unknown\":[1,2]");
        assertThat(run("umoci", "umoci", "ls", "--layout", target.toString()).lines())
                .containsExactlyInAnyOrder("latest", "stable");
    }

    private static Descriptor manifestBlob(OciLayoutWriter writer, String name) throws IOException {
        byte[] config = ("{\"name\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8);
        Digest configDigest = writer.writeBlob(config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{"
                + "\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest
                + "\",\"size\":" + config.length + "},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
        return new Descriptor(MediaTypes.OCI_MANIFEST, writer.writeBlob(manifest), manifest.length);
    }

    @Test
    void tarsInGnuAndPaxFormatsGiveBlobsWhosePathsExceedTheHundredBytesOfUstarNames() throws Exception {
        Path source = dir.resolve("layout");
        OciLayoutWriter writer = OciLayoutWriter.create(source);
        byte[] content = "a blob named by sha512".getBytes(StandardCharsets.UTF_8);
        Digest sha512 = Digest.of(io.berth.oci.DigestAlgorithm.SHA512, content);
        writer.writeBlob(sha512, new java.io.ByteArrayInputStream(content));
        for (String format : List.of("gnu", "pax")) {
            Path archive = dir.resolve(format + ".tar");
            run("tar", "tar", "--format=" + format, "-C", source.toString(), "-cf", archive.toString(), ".");
            try (OciLayout layout = OciLayout.open(archive);
                 InputStream in = layout.blob(sha512).orElseThrow().open(0)) {
                assertThat(in.readAllBytes()).as(format).isEqualTo(content);
            }
        }
    }

    @Test
    void aBlobWhoseBytesDoNotMatchItsDigestIsNotWrittenAndLeavesNothingBehind() throws Exception {
        OciLayoutWriter writer = OciLayoutWriter.create(dir.resolve("layout"));
        Digest claimed = Digest.sha256("expected".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> writer.writeBlob(claimed,
                new java.io.ByteArrayInputStream("something else".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(InvalidLayoutException.class).hasMessageContaining(claimed.toString());
        assertThat(writer.hasBlob(claimed)).isFalse();
        try (var files = Files.list(writer.blobPath(claimed).getParent())) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aDirectoryWithoutOciLayoutOrOfAnotherMajorVersionIsRefused() throws Exception {
        Path target = dir.resolve("layout");
        OciLayoutWriter.create(target);
        Files.delete(target.resolve("oci-layout"));
        assertThatThrownBy(() -> OciLayout.open(target)).isInstanceOf(InvalidLayoutException.class)
                .hasMessageContaining("oci-layout is missing");
        Files.writeString(target.resolve("oci-layout"), "{\"imageLayoutVersion\":\"2.0.0\"}");
        assertThatThrownBy(() -> OciLayout.open(target)).isInstanceOf(InvalidLayoutException.class)
                .hasMessageContaining("2.0.0");
        assertThatThrownBy(() -> OciLayoutWriter.create(target)).isInstanceOf(InvalidLayoutException.class);
    }
}
