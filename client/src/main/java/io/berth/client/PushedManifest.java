package io.berth.client;

import io.berth.oci.Descriptor;

/**
 * A manifest the registry accepted.
 *
 * @param subjectProcessed whether the registry answered {@code OCI-Subject}, i.e. it indexed the manifest's subject
 *                         for the referrers API; false for registries without that API
 */
public record PushedManifest(Descriptor descriptor, boolean subjectProcessed) {
}
