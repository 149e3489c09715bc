package io.berth.server.http;

import io.berth.oci.Digest;
import io.berth.registry.ErrorCode;
import io.berth.registry.lifecycle.Expiry;
import io.berth.registry.metadata.Image;
import io.berth.server.auth.AuditLog;
import io.berth.server.lifecycle.Lifecycle;
import io.berth.server.lifecycle.LifecyclePolicies.Assigned;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The lifecycle endpoints of the admin API: list, set and remove policies ({@code /admin/lifecycle}), preview
 * ({@code /admin/lifecycle/preview}) and apply them ({@code /admin/lifecycle/apply}).
 */
final class LifecycleAdmin {
    /** ECR caps a policy's text at 30 KiB; twice that leaves room for formatting. */
    private static final int MAX_POLICY_BYTES = 64 * 1024;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Lifecycle lifecycle;
    private final AuditLog audit;

    LifecycleAdmin(Lifecycle lifecycle, AuditLog audit) {
        this.lifecycle = lifecycle;
        this.audit = audit;
    }

    /** {@code GET /admin/lifecycle}: every policy, from the config file and set through the API. */
    void list(Exchange exchange) {
        send(exchange, policies(lifecycle.policies().all()));
    }

    /** {@code PUT /admin/lifecycle?repositories=GLOB}: sets the policy in the body for the glob. */
    void set(Exchange exchange) throws IOException {
        String glob = required(exchange.query(), "repositories");
        Assigned stored = put(glob, body(exchange.request()));
        audit.change("put", exchange.caller().subject(), exchange.caller().source(), glob, "lifecycle-policy", null);
        send(exchange, policy(stored));
    }

    /** {@code DELETE /admin/lifecycle?repositories=GLOB}: removes the policy set for the glob through the API. */
    void delete(Exchange exchange) {
        String glob = required(exchange.query(), "repositories");
        remove(glob);
        audit.change("delete", exchange.caller().subject(), exchange.caller().source(), glob, "lifecycle-policy",
                null);
        Responses.sendEmpty(exchange.response(), exchange.callback(), 204);
    }

    /** {@code GET /admin/lifecycle/preview[?repository=NAME]}: what the policies would expire now. */
    void preview(Exchange exchange) {
        List<Lifecycle.Plan> plans = lifecycle.preview(exchange.query().getValue("repository"));
        ObjectNode body = JSON.createObjectNode();
        ArrayNode repositories = body.putArray("repositories");
        for (Lifecycle.Plan plan : plans) {
            ObjectNode entry = planNode(repositories, plan);
            ArrayNode expire = entry.putArray("expire");
            plan.expiries().forEach(expiry -> expiry(expire, expiry));
        }
        send(exchange, body);
    }

    /** {@code POST /admin/lifecycle/apply[?repository=NAME]}: expires now what the policies select. */
    void apply(Exchange exchange) {
        List<Lifecycle.Outcome> outcomes = lifecycle.apply(exchange.query().getValue("repository"),
                exchange.caller().source());
        ObjectNode body = JSON.createObjectNode();
        ArrayNode repositories = body.putArray("repositories");
        int expired = 0;
        for (Lifecycle.Outcome outcome : outcomes) {
            ObjectNode entry = planNode(repositories, outcome.plan());
            ArrayNode expiredNode = entry.putArray("expired");
            outcome.expired().forEach(expiry -> expiry(expiredNode, expiry));
            ArrayNode skipped = entry.putArray("skipped");
            outcome.skipped().forEach(expiry -> expiry(skipped, expiry));
            ArrayNode children = entry.putArray("children");
            outcome.children().stream().map(Digest::toString).forEach(children::add);
            expired += outcome.expired().size();
        }
        body.put("expired", expired);
        send(exchange, body);
    }

    private Assigned put(String glob, String json) {
        try {
            return lifecycle.policies().put(glob, json);
        } catch (IllegalArgumentException e) { // InvalidPolicyException too
            throw new HttpError(400, ErrorCode.POLICY_INVALID, e.getMessage());
        }
    }

    private void remove(String glob) {
        if (lifecycle.policies().remove(glob)) {
            return;
        }
        String detail = lifecycle.policies().configures(glob)
                ? "the lifecycle policy for " + glob + " comes from the config file; change it there"
                : "no lifecycle policy was set for " + glob;
        throw new HttpError(404, ErrorCode.NAME_UNKNOWN, detail);
    }

    private static String body(Request request) throws IOException {
        byte[] body;
        try (InputStream in = Content.Source.asInputStream(request)) {
            body = in.readNBytes(MAX_POLICY_BYTES + 1);
        }
        if (body.length > MAX_POLICY_BYTES) {
            throw new HttpError(413, ErrorCode.SIZE_INVALID, "a lifecycle policy is at most " + MAX_POLICY_BYTES
                    + " bytes");
        }
        return new String(body, StandardCharsets.UTF_8);
    }

    // ---- JSON

    private static ObjectNode policies(List<Assigned> all) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode policies = body.putArray("policies");
        all.forEach(policy -> policies.add(policy(policy)));
        return body;
    }

    private static ObjectNode policy(Assigned policy) {
        ObjectNode node = source(policy);
        node.put("updatedAt", time(policy.updatedAt()));
        node.set("policy", JSON.readTree(policy.json()));
        return node;
    }

    private static ObjectNode source(Assigned policy) {
        ObjectNode node = JSON.createObjectNode();
        node.put("repositories", policy.repositories());
        node.put("source", policy.source().name().toLowerCase(Locale.ROOT));
        return node;
    }

    private static ObjectNode planNode(ArrayNode repositories, Lifecycle.Plan plan) {
        ObjectNode entry = repositories.addObject();
        entry.put("repository", plan.repository());
        entry.set("policy", source(plan.policy()));
        return entry;
    }

    private static void expiry(ArrayNode list, Expiry expiry) {
        Image image = expiry.image();
        ObjectNode node = list.addObject();
        node.put("digest", image.digest().toString());
        ArrayNode tags = node.putArray("tags");
        image.tags().forEach(tags::add);
        node.put("pushedAt", time(image.pushedAt()));
        node.put("lastPulledAt", time(image.lastPulledAt()));
        ObjectNode rule = node.putObject("rule");
        rule.put("rulePriority", expiry.rule().priority());
        rule.put("description", expiry.rule().description());
        node.put("reason", expiry.reason());
    }

    private static String time(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    // ---- plumbing

    private static String required(Fields query, String name) {
        String value = query.getValue(name);
        if (value == null || value.isBlank()) {
            throw new HttpError(400, ErrorCode.POLICY_INVALID, "the " + name + " query parameter is required");
        }
        return value;
    }

    private static void send(Exchange exchange, ObjectNode body) {
        Responses.send(exchange.response(), exchange.callback(), 200, "application/json",
                JSON.writeValueAsBytes(body));
    }
}
