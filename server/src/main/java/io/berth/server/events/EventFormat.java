package io.berth.server.events;

import io.berth.registry.events.Event;
import io.berth.registry.events.EventJson;
import io.berth.registry.events.EventType;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Optional;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** How an endpoint wants its events: a CloudEvent each, or CNCF Distribution's envelope. */
public enum EventFormat {
    /** CloudEvents 1.0, structured mode (the event is the JSON body), or batch mode (a JSON array of events). */
    CLOUDEVENTS("cloudevents", "application/cloudevents+json; charset=UTF-8"),
    /**
     * The envelope CNCF Distribution sends ({@code {"events":[...]}}, actions push, delete and pull), for receivers
     * written for its notifications. Changes Distribution has no action for (tags moved, repositories created,
     * blobs collected) are not sent in it.
     */
    DISTRIBUTION("distribution", "application/vnd.docker.distribution.events.v2+json");

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String configName;
    private final String contentType;

    EventFormat(String configName, String contentType) {
        this.configName = configName;
        this.contentType = contentType;
    }

    public String configName() {
        return configName;
    }

    /** The media type of a request's body: for CloudEvents in batches, CloudEvents' batch type. */
    public String contentType(boolean batched) {
        return batched && this == CLOUDEVENTS ? "application/cloudevents-batch+json; charset=UTF-8" : contentType;
    }

    public static Optional<EventFormat> of(String configName) {
        for (EventFormat format : values()) {
            if (format.configName.equals(configName)) {
                return Optional.of(format);
            }
        }
        return Optional.empty();
    }

    /** Whether this format has something to say about the event. */
    public boolean carries(Event event) {
        return this == CLOUDEVENTS || distributionAction(event.type()).isPresent();
    }

    /**
     * The request body for events this format {@link #carries}: one CloudEvent, or in batch mode an array of them;
     * an envelope of them all.
     */
    public byte[] body(List<Event> events, String source, boolean batched) {
        if (this == DISTRIBUTION) {
            ObjectNode envelope = JSON.createObjectNode();
            var list = envelope.putArray("events");
            for (Event event : events) {
                list.add(distributionEvent(event, distributionAction(event.type()).orElseThrow(), source));
            }
            return JSON.writeValueAsBytes(envelope);
        }
        if (!batched) {
            if (events.size() != 1) {
                throw new IllegalArgumentException("one CloudEvent per request unless batched");
            }
            return cloudEvent(events.getFirst(), source);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(640 * events.size());
        bytes.write('[');
        for (Event event : events) {
            if (bytes.size() > 1) {
                bytes.write(',');
            }
            bytes.writeBytes(cloudEvent(event, source));
        }
        bytes.write(']');
        return bytes.toByteArray();
    }

    /** A CloudEvent in its JSON form, as sent and as the admin feed lists it. */
    public static byte[] cloudEvent(Event event, String source) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(640);
        try (JsonGenerator out = JSON.createGenerator(bytes)) {
            out.writeStartObject();
            out.writeStringProperty("specversion", "1.0");
            out.writeStringProperty("id", Long.toString(event.id()));
            out.writeStringProperty("source", source);
            out.writeStringProperty("type", event.type().wireName());
            String subject = subject(event);
            if (subject != null) {
                out.writeStringProperty("subject", subject);
            }
            out.writeStringProperty("time", event.time().toString());
            out.writeStringProperty("datacontenttype", "application/json");
            out.writeName("data");
            EventJson.write(out, event);
            out.writeEndObject();
        }
        return bytes.toByteArray();
    }

    /** What the event is about: {@code repo@digest}, {@code repo:tag}, the repository, or a collected blob. */
    private static String subject(Event event) {
        if (event.tag() != null) {
            return event.repository() + ":" + event.tag();
        }
        if (event.repository() == null) {
            return event.digest() == null ? null : event.digest().toString();
        }
        return event.digest() == null ? event.repository() : event.repository() + "@" + event.digest();
    }

    private static Optional<String> distributionAction(EventType type) {
        return switch (type) {
            case IMAGE_PUSHED, REFERRER_PUSHED -> Optional.of("push");
            case IMAGE_DELETED, REFERRER_DELETED, TAG_DELETED, BLOB_DELETED -> Optional.of("delete");
            case IMAGE_PULLED -> Optional.of("pull");
            case TAG_UPDATED, REPOSITORY_CREATED, REPOSITORY_DELETED, BLOB_COLLECTED -> Optional.empty();
        };
    }

    private static ObjectNode distributionEvent(Event event, String action, String source) {
        ObjectNode entry = JSON.createObjectNode();
        entry.put("id", Long.toString(event.id()));
        entry.put("timestamp", event.time().toString());
        entry.put("action", action);
        ObjectNode target = entry.putObject("target");
        if (event.mediaType() != null) {
            target.put("mediaType", event.mediaType());
        }
        if (event.size() != null) {
            target.put("size", event.size());
            target.put("length", event.size());
        }
        if (event.digest() != null) {
            target.put("digest", event.digest().toString());
        }
        target.put("repository", event.repository());
        // Distribution names a tag in a push by tag and in the deletion of a tag, never in a manifest's deletion.
        boolean push = action.equals("push");
        String tag = event.tag() != null ? event.tag() : push && !event.tags().isEmpty() ? event.tags().getFirst() : null;
        if (tag != null) {
            target.put("tag", tag);
        }
        if (event.actor().requestId() != null) {
            entry.putObject("request").put("id", event.actor().requestId())
                    .put("addr", event.actor().source());
        }
        entry.putObject("actor").put("name", event.actor().name());
        entry.putObject("source").put("addr", event.node()).put("instanceID", source);
        return entry;
    }
}
