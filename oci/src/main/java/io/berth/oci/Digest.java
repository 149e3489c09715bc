package io.berth.oci;

import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest such as {@code sha256:6c3c62...}: the identity of every blob and manifest.
 * Only registered algorithms with their exact lower-case hex length are accepted, so a digest is
 * always safe to use as a file name or a key.
 */
public record Digest(DigestAlgorithm algorithm, String hex) implements Comparable<Digest> {

    private static final Pattern GRAMMAR = Pattern.compile("[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");

    public Digest {
        if (hex.length() != algorithm.hexLength() || !isLowerHex(hex)) {
            throw new InvalidDigestException("invalid " + algorithm.prefix() + " digest encoding");
        }
    }

    /**
     * Parses {@code algorithm:hex}; throws {@link InvalidDigestException} for anything else. Listings parse a digest
     * for every row they read, so a well-formed digest of a registered algorithm is checked by a loop; the grammar's
     * regular expression, several times slower, only tells what is wrong with any other.
     */
    public static Digest parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon > 0) {
            DigestAlgorithm known = DigestAlgorithm.byPrefix(text.substring(0, colon)).orElse(null);
            if (known != null && text.length() - colon - 1 == known.hexLength() && isLowerHex(text, colon + 1)) {
                return new Digest(known, text.substring(colon + 1));
            }
        }
        if (text == null || text.length() > 200 || !GRAMMAR.matcher(text).matches()) {
            throw new InvalidDigestException("invalid digest format");
        }
        DigestAlgorithm algorithm = DigestAlgorithm.byPrefix(text.substring(0, colon))
                .orElseThrow(() -> new InvalidDigestException("unsupported digest algorithm"));
        return new Digest(algorithm, text.substring(colon + 1));
    }

    private static boolean isLowerHex(String text) {
        return isLowerHex(text, 0);
    }

    /** Whether {@code text} from {@code start} is one or more of {@code [a-f0-9]}. */
    private static boolean isLowerHex(String text, int start) {
        if (start >= text.length()) {
            return false;
        }
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    public static Digest of(DigestAlgorithm algorithm, MessageDigest finished) {
        return new Digest(algorithm, HexFormat.of().formatHex(finished.digest()));
    }

    public static Digest of(DigestAlgorithm algorithm, byte[] content) {
        MessageDigest md = algorithm.newMessageDigest();
        md.update(content);
        return of(algorithm, md);
    }

    public static Digest sha256(byte[] content) {
        return of(DigestAlgorithm.SHA256, content);
    }

    /** Whether {@code content} hashes to this digest. */
    public boolean matches(byte[] content) {
        return equals(of(algorithm, content));
    }

    @Override
    public int compareTo(Digest other) {
        return toString().compareTo(other.toString());
    }

    @Override
    public String toString() {
        return algorithm.prefix() + ":" + hex;
    }
}
