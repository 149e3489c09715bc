package io.berth.client;

import io.berth.oci.Digest;
import io.berth.oci.DigestAlgorithm;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * Bytes to push, which can be read again from any offset: an upload cut partway resumes from where the registry
 * says it got to, so the source must be able to start there.
 */
public interface BlobSource {
    long size();

    /** The bytes from {@code offset} to the end. */
    InputStream open(long offset) throws IOException;

    static BlobSource of(byte[] bytes) {
        return new BlobSource() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public InputStream open(long offset) {
                return new ByteArrayInputStream(bytes, (int) offset, bytes.length - (int) offset);
            }
        };
    }

    static BlobSource of(Path file) throws IOException {
        long size;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            size = channel.size();
        }
        return new BlobSource() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public InputStream open(long offset) throws IOException {
                FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
                channel.position(offset);
                return Channels.newInputStream(channel);
            }
        };
    }

    /** Reads the whole source once to compute its SHA-256 digest. */
    static Digest sha256(BlobSource source) throws IOException {
        MessageDigest sha256 = DigestAlgorithm.SHA256.newMessageDigest();
        try (InputStream in = source.open(0)) {
            byte[] buffer = new byte[256 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha256.update(buffer, 0, n);
            }
        }
        return Digest.of(DigestAlgorithm.SHA256, sha256);
    }
}
