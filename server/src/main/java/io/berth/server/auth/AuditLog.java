package io.berth.server.auth;

import io.berth.registry.events.Actor;
import io.berth.registry.events.Event;
import io.berth.registry.events.EventListener;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * One JSON line per authentication decision, push, delete and garbage collection deletion, on the {@code berth.audit}
 * logger (standard output by default): when, what, who, from where, the result and why. Never a password or token.
 * Pushes and deletions are written from the events the metadata store records with them, once committed and before
 * the request is answered; the collector's deletions from its report, which also covers expired upload sessions.
 */
public final class AuditLog implements EventListener {
    private static final Logger LOG = LoggerFactory.getLogger("berth.audit");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A credential check: {@code method} is basic, token, refresh, certificate or bearer. */
    public void login(String method, String subject, String source, boolean success, String reason) {
        ObjectNode line = line("login", subject, source, success ? "success" : "failure");
        line.put("method", method);
        if (reason != null) {
            line.put("reason", reason);
        }
        write(line);
    }

    /** A request refused for want of permission (403) or of credentials (401). */
    public void denied(String subject, String source, String method, String path, String missing, int status) {
        ObjectNode line = line("access", subject, source, status == 403 ? "denied" : "unauthorized");
        line.put("request", method + " " + path);
        line.put("missing", missing);
        write(line);
    }

    /** The push and delete lines of committed changes; the collector's own deletions are left to {@link #collected}. */
    @Override
    public void committed(List<Event> events) {
        for (Event event : events) {
            if (event.actor().kind() == Actor.Kind.SYSTEM && event.actor().name().equals("gc")) {
                continue;
            }
            String subject = switch (event.actor().kind()) {
                case ROBOT -> RobotTokens.USER_PREFIX + event.actor().name();
                default -> event.actor().name();
            };
            String digest = event.digest() == null ? null : event.digest().toString();
            switch (event.type()) {
                case IMAGE_PUSHED, REFERRER_PUSHED -> change("push", subject, event.actor().source(),
                        event.repository(), event.tags().isEmpty() ? digest : event.tags().getFirst(), digest);
                case IMAGE_DELETED, REFERRER_DELETED, BLOB_DELETED -> change("delete", subject,
                        event.actor().source(), event.repository(), digest, digest);
                case TAG_DELETED -> change("delete", subject, event.actor().source(), event.repository(),
                        event.tag(), digest);
                case REPOSITORY_DELETED -> change("delete", subject, event.actor().source(), event.repository(),
                        null, null);
                default -> {
                    // tag moves are part of their push's line; created repositories and collected blobs have none
                }
            }
        }
    }

    /** A successful change: push of a manifest, delete of a manifest, tag, blob or repository (no reference). */
    public void change(String event, String subject, String source, String repository, String reference,
                       String digest) {
        ObjectNode line = line(event, subject, source, "success");
        line.put("repository", repository);
        line.put("reference", reference);
        if (digest != null) {
            line.put("digest", digest);
        }
        write(line);
    }

    /** A change the caller was allowed to attempt but the registry refused, such as moving an immutable tag. */
    public void refused(String event, String subject, String source, String repository, String reference,
                        String reason) {
        ObjectNode line = line(event, subject, source, "refused");
        line.put("repository", repository);
        line.put("reference", reference);
        line.put("reason", reason);
        write(line);
    }

    /**
     * Something garbage collection deleted: {@code kind} is upload, manifest, referrer, link or blob; repository is
     * null for blobs.
     */
    public void collected(String subject, String source, String kind, String repository, String reference,
                          long size) {
        ObjectNode line = line("collect", subject, source, "success");
        line.put("kind", kind);
        if (repository != null) {
            line.put("repository", repository);
        }
        line.put("reference", reference);
        line.put("size", size);
        write(line);
    }

    private static ObjectNode line(String event, String subject, String source, String result) {
        ObjectNode line = JSON.createObjectNode();
        line.put("time", Instant.now().toString());
        line.put("event", event);
        line.put("subject", subject == null || subject.isEmpty() ? "anonymous" : subject);
        line.put("source", source);
        line.put("result", result);
        return line;
    }

    private static void write(ObjectNode line) {
        LOG.info(line.toString());
    }
}
