package io.berth.server;

import java.util.List;

/**
 * A lifecycle policy from the config: the repositories it governs (globs) and the policy itself, as the JSON text
 * of an Amazon ECR lifecycle policy ({@code {"rules":[...]}}), given inline or read from a file at startup.
 */
public record LifecycleConfig(List<String> repositories, String policyJson) {
    public LifecycleConfig {
        repositories = List.copyOf(repositories);
    }
}
