package io.berth.registry.metadata;

import java.time.Instant;
import java.util.List;

/** STUB, replaced by the robot-token work. */
public record Robot(String name, String tokenHash, List<String> repositories, List<String> actions,
                    Instant createdAt, Instant expiresAt) {
}
