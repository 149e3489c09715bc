package io.berth.server.events;

import java.time.Duration;
import java.util.List;

/**
 * The {@code notifications} section: where events go, and how long the outbox keeps them.
 *
 * @param retention how long delivered events stay in the outbox (for the admin feed and replays)
 * @param source    the CloudEvents {@code source} of this registry's events
 * @param pulls     record {@code io.berth.image.pulled} events (many: one per manifest pulled, per batch of pull
 *                  times written, every half minute)
 */
public record NotificationsConfig(List<Endpoint> endpoints, Duration retention, String source, boolean pulls) {
    public static final NotificationsConfig NONE = new NotificationsConfig(List.of(), Duration.ofDays(7), "/berth",
            false);

    public NotificationsConfig {
        endpoints = List.copyOf(endpoints);
    }
}
