package io.berth.registry.metadata;

import java.time.Instant;

/**
 * A lifecycle policy set through the admin API: the repository glob it governs and its ECR policy JSON as given.
 * The store keeps the text; validating it is the lifecycle package's job.
 */
public record StoredLifecyclePolicy(String repositories, String policy, Instant updatedAt) {
}
