package io.berth.registry.metadata;

import io.berth.oci.Digest;
import java.time.Instant;

/**
 * The pulls of a manifest seen by this server since pull times were last written: the latest, and how many.
 */
public record Pull(String repository, Digest digest, Instant at, long count) {
}
