package io.berth.registry.metadata;

import io.berth.oci.Digest;
import java.time.Instant;

/** The latest pull of a manifest seen by this server since pull times were last written. */
public record Pull(String repository, Digest digest, Instant at) {
}
