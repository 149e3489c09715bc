package io.berth.registry;

/** Where an upload session stands: the repository it writes to and how many bytes it holds. */
public record BlobUpload(String repository, String id, long size) {
}
