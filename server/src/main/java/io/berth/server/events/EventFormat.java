package io.berth.server.events;

import io.berth.registry.events.Event;
import io.berth.registry.events.EventJson;
import io.berth.registry.events.EventType;
import java.io.ByteArrayOutputStream;
import java.util.Optional;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** How an endpoint wants its events: a CloudEvent each, or CNCF Distribution's envelope. */
public enum EventFormat {
    /** CloudEvents 1.0, structured mode: the event is the JSON body. */
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

    public String contentType() {
        return contentType;
    }

    public static Optional<EventFormat> of(String configName) {
        for (EventFormat format : values()) {
            if (format.configName.equals(configName)) {
                return Optional.of(format);
            }
        }
        return Optional.empty();
    }

    /** The request body for the event; empty when this format has nothing to say about such a change. */
    public Optional<byte[]> body(Event event, String source) {
        return switch (this) {
            case CLOUDEVENTS -> Optional.of(cloudEvent(event, source));
            case DISTRIBUTION -> distributionAction(event.type()).map(action -> {
                ObjectNode envelope = JSON.createObjectNode();
                envelope.putArray("events").add(distributionEvent(event, action, source));
                return JSON.writeValueAsBytes(envelope);
            });
        };
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
