package io.berth.server.events;

import io.berth.registry.events.Event;
import io.berth.registry.events.EventType;
import io.berth.server.auth.RepositoryGlob;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A webhook receiver of events ({@code notifications.endpoints[]}). Empty filters let everything through.
 *
 * @param name          names its cursor: renaming an endpoint starts it afresh at the latest event
 * @param events        the event types it wants; {@code io.berth.image.pulled} only when named here
 * @param repositories  globs of the repositories it wants
 * @param mediaTypes    manifest media types it wants (events without one, such as tag and repository events, pass)
 * @param artifactTypes artifact types it wants (events without one pass)
 * @param secret        signs each body (HMAC-SHA256, header {@code Berth-Signature}); null for none
 * @param batch         the most events one request carries; 1 sends each event alone (a CloudEvent, or an envelope
 *                      of one), more sends CloudEvents in batch mode (a JSON array) or several in one envelope
 */
public record Endpoint(String name, URI url, EventFormat format, Set<EventType> events,
                       List<RepositoryGlob> repositories, Set<String> mediaTypes, Set<String> artifactTypes,
                       Map<String, String> headers, String secret, Duration timeout, int batch) {

    public Endpoint {
        events = Set.copyOf(events);
        repositories = List.copyOf(repositories);
        mediaTypes = Set.copyOf(mediaTypes);
        artifactTypes = Set.copyOf(artifactTypes);
        headers = Map.copyOf(headers);
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1");
        }
    }

    /** Whether requests carry events in batches (arrays), even of one. */
    public boolean batched() {
        return batch > 1;
    }

    /** Whether the endpoint wants the event (the format may still have nothing to send for it). */
    public boolean accepts(Event event) {
        if (events.isEmpty() ? event.type() == EventType.IMAGE_PULLED : !events.contains(event.type())) {
            return false;
        }
        if (!repositories.isEmpty() && (event.repository() == null
                || repositories.stream().noneMatch(glob -> glob.matches(event.repository())))) {
            return false;
        }
        if (!mediaTypes.isEmpty() && event.mediaType() != null && !mediaTypes.contains(event.mediaType())) {
            return false;
        }
        return artifactTypes.isEmpty() || event.artifactType() == null || artifactTypes.contains(event.artifactType());
    }
}
