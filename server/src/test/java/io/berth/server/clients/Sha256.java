package io.berth.server.clients;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The {@code sha256:<hex>} digest of some bytes, computed here rather than trusted from a client or the server. */
final class Sha256 {
    private Sha256() {}

    static String of(byte[] bytes) {
        return "sha256:" + hex(bytes);
    }

    static String hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The hex part of {@code sha256:<hex>}. */
    static String encoded(String digest) {
        if (!digest.startsWith("sha256:")) {
            throw new IllegalArgumentException("not a sha256 digest: " + digest);
        }
        return digest.substring("sha256:".length());
    }
}
