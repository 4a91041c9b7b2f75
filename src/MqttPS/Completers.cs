using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using MqttPS.Core.Shell;

namespace MqttPS
{
    /// <summary>Tab completion for the module's parameters: the values come from MqttPS.Core's NameCompletion, read
    /// from the MQTT state of the runspace that completes (its connections, brokers, subscriptions).</summary>
    public abstract class MqttCompleter : IArgumentCompleter
    {
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
            CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            return Candidates(MqttShellSession.TryGet(Runspace.DefaultRunspace), wordToComplete)
                .Select(c => new CompletionResult(c.Text, c.ListItem, CompletionResultType.ParameterValue, c.ToolTip));
        }

        protected abstract IEnumerable<CompletionCandidate> Candidates(MqttShellSession session, string typed);
    }

    /// <summary>-QoS and -WillQoS: 0, 1, 2 (not file names).</summary>
    public sealed class QoSCompleter : MqttCompleter
    {
        protected override IEnumerable<CompletionCandidate> Candidates(MqttShellSession session, string typed) => NameCompletion.QoS(typed);
    }

    /// <summary>The names of the session's connections.</summary>
    public sealed class ConnectionNameCompleter : MqttCompleter
    {
        protected override IEnumerable<CompletionCandidate> Candidates(MqttShellSession session, string typed) => NameCompletion.Connections(session, typed);
    }

    /// <summary>The names of the session's embedded brokers.</summary>
    public sealed class BrokerNameCompleter : MqttCompleter
    {
        protected override IEnumerable<CompletionCandidate> Candidates(MqttShellSession session, string typed) => NameCompletion.Brokers(session, typed);
    }

    /// <summary>The source identifiers of the session's background subscriptions.</summary>
    public sealed class SourceIdentifierCompleter : MqttCompleter
    {
        protected override IEnumerable<CompletionCandidate> Candidates(MqttShellSession session, string typed) => NameCompletion.SourceIdentifiers(session, typed);
    }

    /// <summary>The ids of the session's subscriptions, with their topics as tool tips.</summary>
    public sealed class SubscriptionIdCompleter : MqttCompleter
    {
        protected override IEnumerable<CompletionCandidate> Candidates(MqttShellSession session, string typed) => NameCompletion.SubscriptionIds(session, typed);
    }
}
