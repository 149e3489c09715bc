package io.berth.registry.metadata;

import io.berth.oci.Digest;
import java.util.Map;

/**
 * A manifest as the registry keeps it: the exact pushed bytes and what referrers and clients ask about them.
 *
 * @param artifactType null when the manifest has none
 * @param subject      null when the manifest refers to no subject
 */
public record StoredManifest(Digest digest, String mediaType, String artifactType, Digest subject,
                             Map<String, String> annotations, byte[] payload, long createdAt) {

    public StoredManifest {
        annotations = Map.copyOf(annotations);
    }

    public long size() {
        return payload.length;
    }
}
