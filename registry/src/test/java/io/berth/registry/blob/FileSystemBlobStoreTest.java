package io.berth.registry.blob;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.oci.Digest;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSystemBlobStoreTest {
    @TempDir
    Path root;

    private static InputStream bytes(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anUploadBecomesAContentAddressedBlobOnlyWhenCommitted() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        Digest digest = Digest.sha256("hello world".getBytes(StandardCharsets.UTF_8));
        store.createUpload("u1");
        assertThat(store.writeUpload("u1", 0, bytes("hello "))).isEqualTo(6);
        assertThat(store.writeUpload("u1", 6, bytes("world"))).isEqualTo(11);
        assertThat(store.open(digest)).isEmpty();

        store.commitUpload("u1", 11, digest);

        BlobContent blob = store.open(digest).orElseThrow();
        assertThat(blob.size()).isEqualTo(11);
        try (InputStream in = blob.open(6, 5)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("world");
        }
        assertThat(blob.localFile().orElseThrow())
                .isEqualTo(root.resolve("blobs/sha256/" + digest.hex().substring(0, 2) + "/" + digest.hex()));
        assertThat(Files.list(root.resolve("uploads"))).isEmpty();
    }

    @Test
    void bytesWrittenPastTheAcknowledgedOffsetAreDroppedByTheNextWrite() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        store.createUpload("u2");
        store.writeUpload("u2", 0, bytes("abc"));
        store.writeUpload("u2", 3, bytes("GARBAGE")); // as if the server died before recording this chunk
        assertThat(store.writeUpload("u2", 3, bytes("def"))).isEqualTo(6);
        try (InputStream in = store.readUpload("u2", 6)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("abcdef");
        }
    }

    @Test
    void committingContentThatIsAlreadyStoredKeepsOneCopy() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        Digest digest = Digest.sha256("same".getBytes(StandardCharsets.UTF_8));
        for (String id : new String[] {"a", "b"}) {
            store.createUpload(id);
            store.writeUpload(id, 0, bytes("same"));
            store.commitUpload(id, 4, digest);
        }
        assertThat(store.open(digest).orElseThrow().size()).isEqualTo(4);
        assertThat(Files.list(root.resolve("uploads"))).isEmpty();
    }

    @Test
    void uploadIdsCannotNameFilesOutsideTheStore() throws Exception {
        FileSystemBlobStore store = new FileSystemBlobStore(root);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.createUpload("../escape"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.exists(root.resolveSibling("escape"))).isFalse();
    }
}
