package io.berth.client;

import io.berth.oci.Descriptor;
import io.berth.oci.Digest;
import io.berth.oci.InvalidManifestException;
import io.berth.oci.Manifest;
import io.berth.oci.MediaTypes;
import java.util.List;

/**
 * The manifests that refer to a subject.
 *
 * @param fromApi true when the registry's referrers API answered, false when they came from the tag schema
 */
public record Referrers(List<Descriptor> manifests, boolean fromApi) {
    public Referrers {
        manifests = List.copyOf(manifests);
    }

    /** The referrers tag schema's tag for a subject: {@code <alg>-<hex>}, truncated as the spec says. */
    public static String tagFor(Digest subject) {
        String tag = subject.algorithm().prefix() + "-" + subject.hex();
        return tag.length() > 128 ? tag.substring(0, 128) : tag;
    }

    /** The descriptors an image index lists (an empty list for bytes that are not an index). */
    static List<Descriptor> fromIndex(byte[] bytes) {
        try {
            Manifest index = Manifest.parse(bytes, MediaTypes.OCI_INDEX);
            return index.children();
        } catch (InvalidManifestException e) {
            return List.of();
        }
    }
}
