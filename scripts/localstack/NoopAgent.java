// The Java agent LocalStack 4.14.0 always passes to DynamoDB Local
// (-javaagent:<lib>/dynamodb-local/2/ddb-local-loader-0.1.jar). LocalStack's
// own agent only lifts DynamoDB Local's limit of 20 global secondary indexes
// per table (this project uses one), and LocalStack would download it at
// startup; scripts/localstack.sh compiles this one, which does nothing.
public class NoopAgent {
    public static void premain(String args, java.lang.instrument.Instrumentation inst) {}
}
