package io.berth.registry.lifecycle;

import io.berth.registry.lifecycle.Rule.CountType;
import io.berth.registry.lifecycle.Rule.TagStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads and validates the JSON of an Amazon ECR lifecycle policy with ECR's rules, so a policy ECR accepts is
 * accepted here and one it refuses is refused, each problem named by rule (its {@code rulePriority}, or its place in
 * {@code rules} when that is missing) and field. Berth adds {@code sinceImagePulled} with {@code expire}, and
 * refuses what needs ECR's archive storage class ({@code transition}, {@code sinceImageTransitioned}).
 */
final class PolicyParser {
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final Set<String> RULE_FIELDS = Set.of("rulePriority", "description", "selection", "action");
    private static final Set<String> SELECTION_FIELDS = Set.of("tagStatus", "tagPrefixList", "tagPatternList",
            "countType", "countUnit", "countNumber", "storageClass");
    private static final Set<String> ACTION_FIELDS = Set.of("type", "targetStorageClass");

    private PolicyParser() {
    }

    static LifecyclePolicy parse(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            throw invalid("the policy is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw invalid("the policy must be a JSON object with \"rules\"");
        }
        onlyFields(root, Set.of("rules"), "the policy", "");
        JsonNode rules = root.get("rules");
        if (rules == null || !rules.isArray() || rules.isEmpty()) {
            throw invalid("the policy needs \"rules\": an array of at least one rule");
        }
        List<Rule> parsed = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            parsed.add(rule(rules.get(i), i));
        }
        checkTogether(parsed);
        parsed.sort(Comparator.comparingInt(Rule::priority));
        return new LifecyclePolicy(parsed);
    }

    private static Rule rule(JsonNode node, int index) {
        String place = "rules[" + index + "]";
        if (!node.isObject()) {
            throw invalid(place + " must be a JSON object");
        }
        JsonNode priorityNode = node.get("rulePriority");
        if (priorityNode == null || priorityNode.isNull()) {
            throw invalid(place + ": rulePriority is required");
        }
        if (!priorityNode.isIntegralNumber() || !priorityNode.canConvertToInt() || priorityNode.intValue() < 1) {
            throw invalid(place + ": rulePriority must be a positive integer, not " + priorityNode);
        }
        int priority = priorityNode.intValue();
        String rule = "rulePriority " + priority;
        onlyFields(node, RULE_FIELDS, rule, "");

        String description = "";
        JsonNode descriptionNode = node.get("description");
        if (descriptionNode != null) {
            if (!descriptionNode.isString()) {
                throw invalid(rule + ": description must be a string");
            }
            description = descriptionNode.stringValue();
        }

        JsonNode selection = object(node, "selection", rule);
        onlyFields(selection, SELECTION_FIELDS, rule, "selection.");
        TagStatus tagStatus = tagStatus(selection, rule);
        List<String> prefixes = strings(selection, "tagPrefixList", rule);
        List<String> patterns = strings(selection, "tagPatternList", rule);
        if (tagStatus == TagStatus.TAGGED) {
            if (prefixes == null && patterns == null) {
                throw invalid(rule + ": selection.tagStatus tagged needs selection.tagPrefixList or "
                        + "selection.tagPatternList");
            }
            if (prefixes != null && patterns != null) {
                throw invalid(rule + ": selection.tagPrefixList and selection.tagPatternList cannot both be given");
            }
        } else if (prefixes != null || patterns != null) {
            throw invalid(rule + ": selection." + (prefixes != null ? "tagPrefixList" : "tagPatternList")
                    + " is only allowed with tagStatus tagged, not " + tagStatus.json());
        }
        if (patterns != null) {
            for (String pattern : patterns) {
                if (TagPattern.wildcards(pattern) > TagPattern.MAX_WILDCARDS) {
                    throw invalid(rule + ": selection.tagPatternList entry \"" + pattern + "\" has more than "
                            + TagPattern.MAX_WILDCARDS + " wildcards (*)");
                }
            }
        }
        storageClass(selection, rule);
        CountType countType = countType(selection, rule);
        countUnit(selection, countType, rule);
        int countNumber = countNumber(selection, rule);
        action(node, rule);
        return new Rule(priority, description, tagStatus, prefixes == null ? List.of() : prefixes,
                patterns == null ? List.of() : patterns, countType, countNumber);
    }

    private static TagStatus tagStatus(JsonNode selection, String rule) {
        String value = requiredString(selection, "tagStatus", rule);
        return Arrays.stream(TagStatus.values()).filter(status -> status.json().equals(value)).findFirst()
                .orElseThrow(() -> invalid(rule + ": selection.tagStatus must be tagged, untagged or any, not \""
                        + value + "\""));
    }

    /** A list of non-empty strings, without duplicates; null when the field is absent. */
    private static List<String> strings(JsonNode selection, String field, String rule) {
        JsonNode node = selection.get(field);
        if (node == null) {
            return null;
        }
        if (!node.isArray() || node.isEmpty()) {
            throw invalid(rule + ": selection." + field + " must be a non-empty array of strings");
        }
        Set<String> values = new LinkedHashSet<>();
        for (JsonNode element : node) {
            if (!element.isString() || element.stringValue().isEmpty()) {
                throw invalid(rule + ": selection." + field + " must hold non-empty strings, not " + element);
            }
            values.add(element.stringValue());
        }
        return List.copyOf(values);
    }

    /** ECR's storage classes: Berth stores every image the same way, which is ECR's {@code standard}. */
    private static void storageClass(JsonNode selection, String rule) {
        JsonNode node = selection.get("storageClass");
        if (node != null && !(node.isString() && node.stringValue().equals("standard"))) {
            throw invalid(rule + ": selection.storageClass must be standard: Berth has no archive storage class");
        }
    }

    private static CountType countType(JsonNode selection, String rule) {
        String value = requiredString(selection, "countType", rule);
        if (value.equals("sinceImageTransitioned")) {
            throw invalid(rule + ": selection.countType sinceImageTransitioned is not supported: Berth has no "
                    + "archive storage class");
        }
        return Arrays.stream(CountType.values()).filter(type -> type.json().equals(value)).findFirst()
                .orElseThrow(() -> invalid(rule + ": selection.countType must be imageCountMoreThan, "
                        + "sinceImagePushed or sinceImagePulled, not \"" + value + "\""));
    }

    private static void countUnit(JsonNode selection, CountType countType, String rule) {
        JsonNode node = selection.get("countUnit");
        if (countType == CountType.IMAGE_COUNT_MORE_THAN) {
            if (node != null) {
                throw invalid(rule + ": selection.countUnit is not allowed with countType imageCountMoreThan");
            }
            return;
        }
        if (node == null || node.isNull()) {
            throw invalid(rule + ": selection.countUnit is required with countType " + countType.json()
                    + " (use \"days\")");
        }
        if (!node.isString() || !node.stringValue().equals("days")) {
            throw invalid(rule + ": selection.countUnit must be \"days\", not " + node);
        }
    }

    private static int countNumber(JsonNode selection, String rule) {
        JsonNode node = selection.get("countNumber");
        if (node == null || node.isNull()) {
            throw invalid(rule + ": selection.countNumber is required");
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 1) {
            throw invalid(rule + ": selection.countNumber must be a positive integer, not " + node);
        }
        return node.intValue();
    }

    private static void action(JsonNode rule, String label) {
        JsonNode action = object(rule, "action", label);
        onlyFields(action, ACTION_FIELDS, label, "action.");
        String type = requiredString(action, "type", label, "action.");
        if (type.equals("transition")) {
            throw invalid(label + ": action.type transition is not supported: Berth has no archive storage class "
                    + "(use expire)");
        }
        if (!type.equals("expire")) {
            throw invalid(label + ": action.type must be expire, not \"" + type + "\"");
        }
        if (action.has("targetStorageClass")) {
            throw invalid(label + ": action.targetStorageClass is only for transition, which Berth does not support");
        }
    }

    /** What ECR checks across rules. */
    private static void checkTogether(List<Rule> rules) {
        Map<Integer, Rule> byPriority = new HashMap<>();
        for (Rule rule : rules) {
            if (byPriority.putIfAbsent(rule.priority(), rule) != null) {
                throw invalid("rulePriority " + rule.priority() + " is used by more than one rule; each rule needs "
                        + "its own");
            }
        }
        List<Rule> sorted = rules.stream().sorted(Comparator.comparingInt(Rule::priority)).toList();
        Rule any = null;
        Rule untagged = null;
        Map<Set<String>, Rule> prefixSets = new HashMap<>();
        Map<Set<String>, Rule> patternSets = new HashMap<>();
        for (Rule rule : sorted) {
            switch (rule.tagStatus()) {
                case ANY -> {
                    if (any != null) {
                        throw invalid("rulePriority " + rule.priority() + ": only one rule may have tagStatus any "
                                + "(rulePriority " + any.priority() + " has it too)");
                    }
                    any = rule;
                }
                case UNTAGGED -> {
                    if (untagged != null) {
                        throw invalid("rulePriority " + rule.priority() + ": only one rule may have tagStatus "
                                + "untagged (rulePriority " + untagged.priority() + " has it too)");
                    }
                    untagged = rule;
                }
                case TAGGED -> {
                    sameTags(rule, "tagPrefixList", rule.tagPrefixes(), prefixSets);
                    sameTags(rule, "tagPatternList", rule.tagPatterns(), patternSets);
                }
            }
        }
        if (any != null && any != sorted.getLast()) {
            throw invalid("rulePriority " + any.priority() + ": a rule with tagStatus any must have the highest "
                    + "rulePriority, so it is evaluated last (rulePriority " + sorted.getLast().priority()
                    + " is higher)");
        }
    }

    /** ECR: "The set of rules must contain a unique set of tag prefixes". */
    private static void sameTags(Rule rule, String field, List<String> tags, Map<Set<String>, Rule> seen) {
        if (tags.isEmpty()) {
            return;
        }
        Rule other = seen.putIfAbsent(new HashSet<>(tags), rule);
        if (other != null) {
            throw invalid("rulePriority " + rule.priority() + ": selection." + field + " is the same as that of "
                    + "rulePriority " + other.priority() + "; each rule needs its own set");
        }
    }

    // ---- plumbing

    private static JsonNode object(JsonNode parent, String field, String rule) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            throw invalid(rule + ": " + field + " is required");
        }
        if (!node.isObject()) {
            throw invalid(rule + ": " + field + " must be a JSON object");
        }
        return node;
    }

    private static String requiredString(JsonNode parent, String field, String rule) {
        return requiredString(parent, field, rule, "selection.");
    }

    private static String requiredString(JsonNode parent, String field, String rule, String path) {
        JsonNode node = parent.get(field);
        if (node == null || node.isNull()) {
            throw invalid(rule + ": " + path + field + " is required");
        }
        if (!node.isString()) {
            throw invalid(rule + ": " + path + field + " must be a string, not " + node);
        }
        return node.stringValue();
    }

    /** Unknown fields are mistakes (a misspelt countNumber must not silently mean something else). */
    private static void onlyFields(JsonNode node, Set<String> known, String where, String path) {
        for (String name : node.propertyNames()) {
            if (!known.contains(name)) {
                throw invalid(where + ": unknown field " + path + name);
            }
        }
    }

    private static InvalidPolicyException invalid(String message) {
        return new InvalidPolicyException(message);
    }
}
