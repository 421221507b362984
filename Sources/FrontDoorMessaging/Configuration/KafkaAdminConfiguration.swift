/// How a ``KafkaAdmin`` connects.
public struct KafkaAdminConfiguration: Sendable {
    /// Initial brokers as `host:port`. librdkafka key: `bootstrap.servers`.
    public var bootstrapServers: [String]
    /// Identifies this client in broker logs. Default: `"frontdoor-admin"`. librdkafka key: `client.id`.
    public var clientID: String = "frontdoor-admin"
    /// Any other librdkafka property (TLS, SASL…), passed through as is.
    public var additionalProperties: [String: String] = [:]

    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }
}
