package io.berth.client;

import io.berth.oci.Descriptor;

/**
 * What a copy did.
 *
 * @param manifest        the manifest (or index) now at the target reference
 * @param manifestsPushed every manifest pushed: the image's, its children's and the referrers'
 * @param blobsCopied     blobs sent from the source to the target
 * @param blobsSkipped    blobs the target held already
 * @param blobsMounted    blobs the target mounted from the source repository on the same registry
 * @param bytesCopied     the bytes of the blobs sent
 * @param referrersCopied referrers (signatures, SBOMs, …, and their own referrers) copied with the image
 */
public record CopyResult(Descriptor manifest, int manifestsPushed, int blobsCopied, int blobsSkipped,
                         int blobsMounted, long bytesCopied, int referrersCopied) {
}
