/// frontdoor's pure values and rules. No I/O, no Kafka, no SQL.
public enum FrontDoorDomain {}
