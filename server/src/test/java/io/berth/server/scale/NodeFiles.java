package io.berth.server.scale;

import io.berth.s3.S3Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The files the nodes of a test share: the configuration that points them at one database and one bucket. */
final class NodeFiles {
    private NodeFiles() {
    }

    /** A {@code berth.yaml} for a node on PostgreSQL ({@code metadataUrl}) and S3, as docs/deploy.md shows one. */
    static Path config(Path file, String metadataUrl, S3Settings s3) {
        String yaml = "metadata:\n  url: \"" + metadataUrl + "\"\n"
                + "storage:\n  type: s3\n  bucket: " + s3.bucket() + "\n"
                + (s3.prefix() == null ? "" : "  prefix: " + s3.prefix() + "\n")
                + "  endpoint: " + s3.endpoint() + "\n  pathStyle: true\n"
                + "  accessKey: " + s3.accessKey() + "\n  secretKey: " + s3.secretKey() + "\n";
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
