package io.berth.registry.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.registry.lifecycle.Rule.CountType;
import io.berth.registry.lifecycle.Rule.TagStatus;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Policies ECR accepts are read as ECR reads them; each one it refuses is refused with the rule and field named. */
class LifecyclePolicyValidationTest {

    /** A one-rule policy with the given selection (JSON members without braces). */
    private static String policy(String selection) {
        return "{\"rules\":[{\"rulePriority\":1,\"description\":\"d\",\"selection\":{" + selection
                + "},\"action\":{\"type\":\"expire\"}}]}";
    }

    private static void assertInvalid(String json, String message) {
        assertThatThrownBy(() -> LifecyclePolicy.parse(json))
                .isInstanceOf(InvalidPolicyException.class)
                .hasMessage(message);
    }

    @Test
    void anEcrPolicyIsReadWithEveryFieldAndItsRulesInPriorityOrder() {
        LifecyclePolicy policy = LifecyclePolicy.parse("""
                {"rules": [
                  {"rulePriority": 20, "description": "any last",
                   "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 100},
                   "action": {"type": "expire"}},
                  {"rulePriority": 1,
                   "selection": {"tagStatus": "tagged", "tagPrefixList": ["prod", "release"],
                                 "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 90,
                                 "storageClass": "standard"},
                   "action": {"type": "expire"}},
                  {"rulePriority": 5, "description": "stale",
                   "selection": {"tagStatus": "tagged", "tagPatternList": ["*-SNAPSHOT"],
                                 "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 30},
                   "action": {"type": "expire"}},
                  {"rulePriority": 7,
                   "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                                 "countNumber": 1},
                   "action": {"type": "expire"}}
                ]}
                """);

        assertThat(policy.rules()).containsExactly(
                new Rule(1, "", TagStatus.TAGGED, List.of("prod", "release"), List.of(), CountType.SINCE_IMAGE_PUSHED,
                        90),
                new Rule(5, "stale", TagStatus.TAGGED, List.of(), List.of("*-SNAPSHOT"), CountType.SINCE_IMAGE_PULLED,
                        30),
                new Rule(7, "", TagStatus.UNTAGGED, List.of(), List.of(), CountType.SINCE_IMAGE_PUSHED, 1),
                new Rule(20, "any last", TagStatus.ANY, List.of(), List.of(), CountType.IMAGE_COUNT_MORE_THAN, 100));
    }

    @Test
    void thePolicyMustBeAJsonObjectWithRules() {
        assertThatThrownBy(() -> LifecyclePolicy.parse("{\"rules\": [")).isInstanceOf(InvalidPolicyException.class)
                .hasMessageStartingWith("the policy is not valid JSON: ");
        assertInvalid("[]", "the policy must be a JSON object with \"rules\"");
        assertInvalid("{}", "the policy needs \"rules\": an array of at least one rule");
        assertInvalid("{\"rules\":[]}", "the policy needs \"rules\": an array of at least one rule");
        assertInvalid("{\"rules\":{}}", "the policy needs \"rules\": an array of at least one rule");
        assertInvalid("{\"rules\":[1]}", "rules[0] must be a JSON object");
        assertInvalid("{\"rule\":[]}", "the policy: unknown field rule");
        assertThatThrownBy(() -> LifecyclePolicy.parse(policy("\"tagStatus\":\"untagged\",\"countType\":"
                + "\"imageCountMoreThan\",\"countNumber\":1,\"countNumber\":2")))
                .isInstanceOf(InvalidPolicyException.class).hasMessageContaining("Duplicate Object property \"countNumber\"");
        assertThatThrownBy(() -> LifecyclePolicy.parse(policy("\"tagStatus\":\"untagged\",\"countType\":"
                + "\"imageCountMoreThan\",\"countNumber\":1") + " {}"))
                .isInstanceOf(InvalidPolicyException.class).hasMessageStartingWith("the policy is not valid JSON");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "missing         | \"description\":\"x\"              | rules[0]: rulePriority is required",
        "zero            | \"rulePriority\":0                 | rules[0]: rulePriority must be a positive integer, not 0",
        "negative        | \"rulePriority\":-3                | rules[0]: rulePriority must be a positive integer, not -3",
        "fraction        | \"rulePriority\":1.5               | rules[0]: rulePriority must be a positive integer, not 1.5",
        "string          | \"rulePriority\":\"1\"             | rules[0]: rulePriority must be a positive integer, not \"1\"",
        "too large       | \"rulePriority\":3000000000        | rules[0]: rulePriority must be a positive integer, not 3000000000",
    })
    void rulePriorityIsARequiredPositiveInteger(String name, String priority, String message) {
        assertInvalid("{\"rules\":[{" + priority + ",\"selection\":{\"tagStatus\":\"any\",\"countType\":"
                + "\"imageCountMoreThan\",\"countNumber\":1},\"action\":{\"type\":\"expire\"}}]}", message);
    }

    @Test
    void aRuleHasOnlyEcrsFields() {
        assertInvalid("{\"rules\":[{\"rulePriority\":4,\"priority\":1,\"selection\":{},\"action\":{}}]}",
                "rulePriority 4: unknown field priority");
        assertInvalid(policy("\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1,"
                + "\"countNumbr\":2"), "rulePriority 1: unknown field selection.countNumbr");
        assertInvalid("{\"rules\":[{\"rulePriority\":1,\"selection\":{\"tagStatus\":\"any\",\"countType\":"
                        + "\"imageCountMoreThan\",\"countNumber\":1},\"action\":{\"type\":\"expire\",\"when\":1}}]}",
                "rulePriority 1: unknown field action.when");
        assertInvalid("{\"rules\":[{\"rulePriority\":1,\"description\":7,\"selection\":{},\"action\":{}}]}",
                "rulePriority 1: description must be a string");
        assertInvalid("{\"rules\":[{\"rulePriority\":1,\"action\":{\"type\":\"expire\"}}]}",
                "rulePriority 1: selection is required");
        assertInvalid("{\"rules\":[{\"rulePriority\":1,\"selection\":[],\"action\":{\"type\":\"expire\"}}]}",
                "rulePriority 1: selection must be a JSON object");
    }

    @Test
    void tagStatusIsTaggedUntaggedOrAny() {
        assertInvalid(policy("\"countType\":\"imageCountMoreThan\",\"countNumber\":1"),
                "rulePriority 1: selection.tagStatus is required");
        assertInvalid(policy("\"tagStatus\":\"all\",\"countType\":\"imageCountMoreThan\",\"countNumber\":1"),
                "rulePriority 1: selection.tagStatus must be tagged, untagged or any, not \"all\"");
        assertInvalid(policy("\"tagStatus\":true,\"countType\":\"imageCountMoreThan\",\"countNumber\":1"),
                "rulePriority 1: selection.tagStatus must be a string, not true");
    }

    @Test
    void aTaggedRuleNeedsExactlyOneNonEmptyListOfPrefixesOrPatterns() {
        String count = ",\"countType\":\"imageCountMoreThan\",\"countNumber\":1";
        assertInvalid(policy("\"tagStatus\":\"tagged\"" + count),
                "rulePriority 1: selection.tagStatus tagged needs selection.tagPrefixList or selection.tagPatternList");
        assertInvalid(policy("\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"a\"],\"tagPatternList\":[\"b*\"]" + count),
                "rulePriority 1: selection.tagPrefixList and selection.tagPatternList cannot both be given");
        assertInvalid(policy("\"tagStatus\":\"tagged\",\"tagPrefixList\":[]" + count),
                "rulePriority 1: selection.tagPrefixList must be a non-empty array of strings");
        assertInvalid(policy("\"tagStatus\":\"tagged\",\"tagPatternList\":\"prod*\"" + count),
                "rulePriority 1: selection.tagPatternList must be a non-empty array of strings");
        assertInvalid(policy("\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"\"]" + count),
                "rulePriority 1: selection.tagPrefixList must hold non-empty strings, not \"\"");
        assertInvalid(policy("\"tagStatus\":\"tagged\",\"tagPatternList\":[3]" + count),
                "rulePriority 1: selection.tagPatternList must hold non-empty strings, not 3");
        assertInvalid(policy("\"tagStatus\":\"tagged\",\"tagPatternList\":[\"a*b*c*d*e*f\"]" + count),
                "rulePriority 1: selection.tagPatternList entry \"a*b*c*d*e*f\" has more than 4 wildcards (*)");
        // ECR's own example of the most wildcards allowed
        LifecyclePolicy.parse(policy("\"tagStatus\":\"tagged\",\"tagPatternList\":[\"*test*1*2*3\",\"test*1*2*3*\"]"
                + count));
    }

    @Test
    void untaggedAndAnyRulesHaveNoTagLists() {
        String count = ",\"countType\":\"imageCountMoreThan\",\"countNumber\":1";
        assertInvalid(policy("\"tagStatus\":\"untagged\",\"tagPrefixList\":[\"a\"]" + count),
                "rulePriority 1: selection.tagPrefixList is only allowed with tagStatus tagged, not untagged");
        assertInvalid(policy("\"tagStatus\":\"any\",\"tagPatternList\":[\"a*\"]" + count),
                "rulePriority 1: selection.tagPatternList is only allowed with tagStatus tagged, not any");
    }

    @Test
    void countTypeIsOneOfBerthsThree() {
        assertInvalid(policy("\"tagStatus\":\"any\",\"countNumber\":1"),
                "rulePriority 1: selection.countType is required");
        assertInvalid(policy("\"tagStatus\":\"any\",\"countType\":\"imageCountLessThan\",\"countNumber\":1"),
                "rulePriority 1: selection.countType must be imageCountMoreThan, sinceImagePushed or "
                        + "sinceImagePulled, not \"imageCountLessThan\"");
        assertInvalid(policy("\"tagStatus\":\"any\",\"countType\":\"sinceImageTransitioned\",\"countUnit\":\"days\","
                + "\"countNumber\":1"), "rulePriority 1: selection.countType sinceImageTransitioned is not "
                + "supported: Berth has no archive storage class");
        assertInvalid(policy("\"tagStatus\":\"any\",\"storageClass\":\"archive\",\"countType\":\"imageCountMoreThan\","
                + "\"countNumber\":1"), "rulePriority 1: selection.storageClass must be standard: Berth has no "
                + "archive storage class");
    }

    @Test
    void countUnitIsDaysForAgesAndAbsentForCounts() {
        assertInvalid(policy("\"tagStatus\":\"any\",\"countType\":\"sinceImagePushed\",\"countNumber\":1"),
                "rulePriority 1: selection.countUnit is required with countType sinceImagePushed (use \"days\")");
        assertInvalid(policy("\"tagStatus\":\"any\",\"countType\":\"sinceImagePulled\",\"countNumber\":1"),
                "rulePriority 1: selection.countUnit is required with countType sinceImagePulled (use \"days\")");
        assertInvalid(policy("\"tagStatus\":\"any\",\"countType\":\"sinceImagePushed\",\"countUnit\":\"hours\","
                + "\"countNumber\":1"), "rulePriority 1: selection.countUnit must be \"days\", not \"hours\"");
        assertInvalid(policy("\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\",\"countUnit\":\"days\","
                + "\"countNumber\":1"), "rulePriority 1: selection.countUnit is not allowed with countType "
                + "imageCountMoreThan");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "zero     | ,\"countNumber\":0     | rulePriority 1: selection.countNumber must be a positive integer, not 0",
        "negative | ,\"countNumber\":-1    | rulePriority 1: selection.countNumber must be a positive integer, not -1",
        "fraction | ,\"countNumber\":2.5   | rulePriority 1: selection.countNumber must be a positive integer, not 2.5",
        "string   | ,\"countNumber\":\"3\" | rulePriority 1: selection.countNumber must be a positive integer, not \"3\"",
        "missing  | ''                     | rulePriority 1: selection.countNumber is required",
    })
    void countNumberIsARequiredPositiveInteger(String name, String countNumber, String message) {
        assertInvalid(policy("\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\"" + countNumber), message);
    }

    @Test
    void theActionIsExpire() {
        String selection = "\"selection\":{\"tagStatus\":\"any\",\"countType\":\"imageCountMoreThan\","
                + "\"countNumber\":1}";
        assertInvalid("{\"rules\":[{\"rulePriority\":1," + selection + "}]}", "rulePriority 1: action is required");
        assertInvalid("{\"rules\":[{\"rulePriority\":1," + selection + ",\"action\":{}}]}",
                "rulePriority 1: action.type is required");
        assertInvalid("{\"rules\":[{\"rulePriority\":1," + selection + ",\"action\":{\"type\":\"delete\"}}]}",
                "rulePriority 1: action.type must be expire, not \"delete\"");
        assertInvalid("{\"rules\":[{\"rulePriority\":1," + selection + ",\"action\":{\"type\":\"transition\","
                        + "\"targetStorageClass\":\"archive\"}}]}",
                "rulePriority 1: action.type transition is not supported: Berth has no archive storage class "
                        + "(use expire)");
        assertInvalid("{\"rules\":[{\"rulePriority\":1," + selection + ",\"action\":{\"type\":\"expire\","
                        + "\"targetStorageClass\":\"archive\"}}]}",
                "rulePriority 1: action.targetStorageClass is only for transition, which Berth does not support");
    }

    private static String rule(int priority, String selection) {
        return "{\"rulePriority\":" + priority + ",\"selection\":{" + selection + "},\"action\":{\"type\":\"expire\"}}";
    }

    private static final String COUNT = ",\"countType\":\"imageCountMoreThan\",\"countNumber\":1";

    @Test
    void rulePrioritiesAreUnique() {
        assertInvalid("{\"rules\":[" + rule(2, "\"tagStatus\":\"untagged\"" + COUNT) + ","
                + rule(2, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"v\"]" + COUNT) + "]}",
                "rulePriority 2 is used by more than one rule; each rule needs its own");
    }

    @Test
    void oneAnyRuleAtMostAndItComesLast() {
        assertInvalid("{\"rules\":[" + rule(1, "\"tagStatus\":\"any\"" + COUNT) + ","
                + rule(2, "\"tagStatus\":\"untagged\"" + COUNT) + "]}",
                "rulePriority 1: a rule with tagStatus any must have the highest rulePriority, so it is evaluated "
                        + "last (rulePriority 2 is higher)");
        assertInvalid("{\"rules\":[" + rule(5, "\"tagStatus\":\"any\"" + COUNT) + ","
                + rule(9, "\"tagStatus\":\"any\"" + COUNT) + "]}",
                "rulePriority 9: only one rule may have tagStatus any (rulePriority 5 has it too)");
    }

    @Test
    void oneRuleAtMostSelectsUntaggedImages() {
        assertInvalid("{\"rules\":[" + rule(1, "\"tagStatus\":\"untagged\"" + COUNT) + ","
                + rule(2, "\"tagStatus\":\"untagged\",\"countType\":\"sinceImagePushed\",\"countUnit\":\"days\","
                        + "\"countNumber\":3") + "]}",
                "rulePriority 2: only one rule may have tagStatus untagged (rulePriority 1 has it too)");
    }

    @Test
    void twoRulesCannotSelectTheSameSetOfTagPrefixes() {
        assertInvalid("{\"rules\":[" + rule(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"a\",\"b\"]" + COUNT)
                + "," + rule(2, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"b\",\"a\"],\"countType\":"
                + "\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":3") + "]}",
                "rulePriority 2: selection.tagPrefixList is the same as that of rulePriority 1; each rule needs its "
                        + "own set");
        LifecyclePolicy.parse("{\"rules\":[" + rule(1, "\"tagStatus\":\"tagged\",\"tagPrefixList\":[\"a\"]" + COUNT)
                + "," + rule(2, "\"tagStatus\":\"tagged\",\"tagPatternList\":[\"a\"]" + COUNT) + "]}");
    }
}
