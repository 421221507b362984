/// Every topic frontdoor uses, with its partition count.
public struct TopicPlan: Sendable {
    public var inputs: [(String, Int)]
    public var outputs: [(String, Int)]

    public init(topics: TopicNames, unitIds: [String], inputPartitions: Int, outputPartitions: Int) {
        inputs = topics.inputs.map { ($0, inputPartitions) }
        var outputs = topics.inputs.map { (topics.dlq(of: $0), outputPartitions) }
        outputs.append((topics.enforcement, outputPartitions))
        outputs += unitIds.map { (topics.earlyHelp(unit: $0), outputPartitions) }
        self.outputs = outputs
    }

    public var all: [(String, Int)] { inputs + outputs }
}
