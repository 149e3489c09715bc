package io.berth.server.auth;

import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * One JSON line per authentication decision, push, delete and garbage collection deletion, on the {@code berth.audit} logger (standard output
 * by default): when, what, who, from where, the result and why. Never a password or token.
 */
public final class AuditLog {
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

    /** A successful change: push of a manifest, delete of a manifest, tag or blob. */
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
