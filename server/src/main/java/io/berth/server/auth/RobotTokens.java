package io.berth.server.auth;

import io.berth.registry.metadata.MetadataStore;
import io.berth.registry.metadata.Robot;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/** STUB, replaced by the robot-token work. */
public final class RobotTokens {
    public static final String USER_PREFIX = "robot$";

    public RobotTokens(MetadataStore store, Clock clock) {
    }

    public Optional<Robot> authenticate(String username, String password) {
        return Optional.empty();
    }

    public List<Robot> list() {
        return List.of();
    }
}
