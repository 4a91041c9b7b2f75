using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace MqttPS.Module.Tests.Metadata
{
    public class CmdletSurfaceTests
    {
        // Get-Verb of PowerShell 7.4 (a superset of Windows PowerShell 5.1's list).
        private static readonly HashSet<string> ApprovedVerbs = new HashSet<string>(StringComparer.Ordinal)
        {
            "Add", "Clear", "Close", "Copy", "Enter", "Exit", "Find", "Format", "Get", "Hide", "Join", "Lock", "Move", "New", "Open",
            "Optimize", "Pop", "Push", "Redo", "Remove", "Rename", "Reset", "Resize", "Search", "Select", "Set", "Show", "Skip",
            "Split", "Step", "Switch", "Undo", "Unlock", "Watch", "Connect", "Disconnect", "Read", "Receive", "Send", "Write",
            "Backup", "Checkpoint", "Compare", "Compress", "Convert", "ConvertFrom", "ConvertTo", "Dismount", "Edit", "Expand",
            "Export", "Group", "Import", "Initialize", "Limit", "Merge", "Mount", "Out", "Publish", "Restore", "Save", "Sync",
            "Unpublish", "Update", "Debug", "Measure", "Ping", "Repair", "Resolve", "Test", "Trace", "Approve", "Assert", "Build",
            "Complete", "Confirm", "Deny", "Deploy", "Disable", "Enable", "Install", "Invoke", "Register", "Request", "Restart",
            "Resume", "Start", "Stop", "Submit", "Suspend", "Uninstall", "Unregister", "Wait", "Block", "Grant", "Protect",
            "Revoke", "Unblock", "Unprotect", "Use",
        };

        private static readonly string[] CommonParameters =
        {
            "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ErrorVariable", "WarningVariable",
            "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable", "WhatIf", "Confirm", "ProgressAction",
        };

        public static readonly string[] ExpectedCmdlets =
        {
            "Clear-MqttRetainedMessage", "Connect-Mqtt", "Disconnect-Mqtt", "Get-MqttBroker", "Get-MqttBrokerClient",
            "Get-MqttConnection", "Get-MqttRetainedMessage", "Get-MqttSubscription", "Publish-MqttMessage",
            "Register-MqttSubscription", "Start-MqttBroker", "Stop-MqttBroker", "Test-MqttTopic", "Unregister-MqttSubscription",
        };

        [Fact]
        public void The_module_has_exactly_the_cmdlets_of_the_design()
        {
            Assert.Equal(ExpectedCmdlets, CmdletSurface.Cmdlets.Select(c => c.Name));
        }

        [Fact]
        public void Every_cmdlet_uses_an_approved_verb_and_the_Mqtt_noun_prefix()
        {
            foreach (var c in CmdletSurface.Cmdlets)
            {
                Assert.True(ApprovedVerbs.Contains(c.Verb), c.Name + " uses the unapproved verb " + c.Verb);
                Assert.StartsWith("Mqtt", c.Noun);
            }
        }

        [Fact]
        public void Every_cmdlet_declares_its_output_type_and_every_set_is_covered()
        {
            foreach (var c in CmdletSurface.Cmdlets)
            {
                Assert.True(c.OutputTypes.Count > 0, c.Name + " has no [OutputType]");
                var perSet = c.OutputTypes.Where(o => o.Sets.Length > 0).SelectMany(o => o.Sets).ToList();
                if (perSet.Count > 0)
                    Assert.True(c.ParameterSets.All(s => perSet.Contains(s)), c.Name + ": [OutputType] does not cover every parameter set");
            }
            Assert.Contains(CmdletSurface.Get("Register-MqttSubscription").OutputTypes, o => o.Type == "MqttPS.Core.Messages.MqttMessage" && o.Sets.SequenceEqual(new[] { "Stream" }));
            Assert.Contains(CmdletSurface.Get("Register-MqttSubscription").OutputTypes, o => o.Type == "MqttPS.Core.Shell.MqttSubscription" && o.Sets.Contains("Action") && o.Sets.Contains("Event"));
            Assert.Contains(CmdletSurface.Get("Test-MqttTopic").OutputTypes, o => o.Type == "System.Boolean");
            Assert.Contains(CmdletSurface.Get("Connect-Mqtt").OutputTypes, o => o.Type == "MqttPS.Core.Shell.MqttConnection");
            Assert.Contains(CmdletSurface.Get("Start-MqttBroker").OutputTypes, o => o.Type == "MqttPS.Core.Broker.MqttBrokerEvent" && o.Sets.Contains("Wait"));
        }

        [Theory]
        [InlineData("Clear-MqttRetainedMessage", 2)]
        [InlineData("Stop-MqttBroker", 2)]
        [InlineData("Disconnect-Mqtt", 1)]
        [InlineData("Unregister-MqttSubscription", 1)]
        public void Commands_that_remove_or_stop_things_support_WhatIf_and_Confirm(string name, int confirmImpact)
        {
            var c = CmdletSurface.Get(name);
            Assert.True(c.SupportsShouldProcess, name + " must support ShouldProcess");
            Assert.Equal(confirmImpact, c.ConfirmImpact);
        }

        [Fact]
        public void Commands_that_change_nothing_do_not_claim_ShouldProcess()
        {
            foreach (var name in new[] { "Get-MqttBroker", "Get-MqttBrokerClient", "Get-MqttConnection", "Get-MqttRetainedMessage", "Get-MqttSubscription", "Test-MqttTopic" })
                Assert.False(CmdletSurface.Get(name).SupportsShouldProcess, name);
        }

        [Fact]
        public void Publish_binds_payload_from_the_pipeline_and_message_properties_by_name()
        {
            var c = CmdletSurface.Get("Publish-MqttMessage");
            var payload = c.Parameter("Payload").Attributes.Single();
            Assert.True(payload.ValueFromPipeline);
            Assert.True(payload.ValueFromPipelineByPropertyName);
            Assert.Equal("System.Object", c.Parameter("Payload").TypeFullName);
            foreach (var name in new[] { "Topic", "QoS", "Retain" })
            {
                var a = c.Parameter(name).Attributes.Single();
                Assert.True(a.ValueFromPipelineByPropertyName, name + " must bind by property name");
                Assert.False(a.ValueFromPipeline, name + " must not take the whole pipeline object");
            }
            Assert.True(c.Parameter("Topic").Attributes.Single().Mandatory);
            Assert.Equal(0, c.Parameter("Topic").Attributes.Single().Position);
            Assert.Equal(1, payload.Position);
            // Only one parameter may take the whole pipeline object, or binding would be ambiguous.
            Assert.Single(c.Parameters.Where(p => p.Attributes.Any(a => a.ValueFromPipeline)));
            Assert.Equal(new[] { "Broker", "Connection" }, c.ParameterSets.OrderBy(s => s));
            Assert.Equal("Connection", c.DefaultParameterSetName);
            Assert.True(c.Parameter("Broker").Attributes.Single(a => a.SetName == "Broker").Mandatory);
        }

        [Fact]
        public void Register_has_stream_action_and_event_sets()
        {
            var c = CmdletSurface.Get("Register-MqttSubscription");
            Assert.Equal("Stream", c.DefaultParameterSetName);
            Assert.Equal(new[] { "Action", "Event", "Stream" }, c.ParameterSets.OrderBy(s => s));
            Assert.True(c.Parameter("Action").Attributes.Single(a => a.SetName == "Action").Mandatory);
            Assert.True(c.Parameter("SourceIdentifier").Attributes.Single(a => a.SetName == "Event").Mandatory);
            Assert.False(c.Parameter("SourceIdentifier").Attributes.Single(a => a.SetName == "Action").Mandatory);
            Assert.All(new[] { "Count", "TimeoutSeconds", "Broker" }, n => Assert.Equal("Stream", c.Parameter(n).Attributes.Single().SetName));
            Assert.Equal("String[]", c.Parameter("Topic").TypeName);
        }

        public static IEnumerable<object[]> ExpectedParameters => new[]
        {
            new object[] { "Connect-Mqtt", "AutoReconnect,Broker,CaCertificatePath,Certificate,CertificatePassword,CertificatePath,CleanStart,ClientId,Credential,KeepAliveSeconds,MaxInflightMessages,Name,OfflineQueueSize,Port,ProtocolVersion,ReconnectMaxDelaySeconds,SessionExpirySeconds,SkipCertificateCheck,TimeoutSeconds,TlsProtocol,UseTls,WillDelaySeconds,WillPayload,WillQoS,WillRetain,WillTopic" },
            new object[] { "Disconnect-Mqtt", "All,Connection,Name,PassThru" },
            new object[] { "Get-MqttConnection", "Default,Name" },
            new object[] { "Publish-MqttMessage", "Broker,Connection,ContentType,CorrelationData,Credential,Depth,MessageExpirySeconds,PassThru,Payload,Port,QoS,ResponseTopic,Retain,TimeoutSeconds,Topic,UserProperty,WindowSize" },
            new object[] { "Register-MqttSubscription", "Action,AsBytes,AsJson,AsString,Broker,Connection,Count,Credential,NoLocal,OverflowPolicy,Port,QoS,QueueSize,RetainAsPublished,RetainHandling,SourceIdentifier,TimeoutSeconds,Topic" },
            new object[] { "Get-MqttSubscription", "Connection,Id,SourceIdentifier,Topic" },
            new object[] { "Unregister-MqttSubscription", "All,Id,PassThru,SourceIdentifier,Subscription" },
            new object[] { "Get-MqttRetainedMessage", "AsBytes,AsJson,AsString,Broker,Connection,Credential,EmbeddedBroker,Port,QuietMilliseconds,TimeoutSeconds,Topic" },
            new object[] { "Clear-MqttRetainedMessage", "Broker,Connection,Credential,EmbeddedBroker,Filter,PassThru,Port,Topic" },
            new object[] { "Test-MqttTopic", "Filter,Topic" },
            new object[] { "Start-MqttBroker", "AclPath,AllowAnonymous,AllowZeroLengthClientId,BindAddress,Bridge,Certificate,CertificateKeyPath,CertificatePassword,CertificatePath,ClientCaPath,ConfigPath,Credential,Durability,EventKind,MaxConnectPacketSize,MaxConnections,MaxInflightMessages,MaxKeepAlive,MaxPacketSize,MaxQueuedMessages,MaxTopicAlias,Name,PasswordFile,PersistencePath,Port,RequireClientCertificate,RetainAvailable,SecureWebSocketPort,SysIntervalSeconds,TlsPort,TlsProtocol,UseCertificateIdentityAsUsername,Users,Wait,WebSocketPort" },
            new object[] { "Stop-MqttBroker", "All,Broker,Name,PassThru" },
            new object[] { "Get-MqttBroker", "Name" },
            new object[] { "Get-MqttBrokerClient", "Broker,BrokerName,ClientId" },
        };

        [Theory]
        [MemberData(nameof(ExpectedParameters))]
        public void Each_cmdlet_has_its_designed_parameters(string name, string parameters)
        {
            Assert.Equal(parameters.Split(','), CmdletSurface.Get(name).Parameters.Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public void No_parameter_collides_with_a_common_parameter_and_positions_are_unique_per_set()
        {
            foreach (var c in CmdletSurface.Cmdlets)
            {
                foreach (var p in c.Parameters) Assert.DoesNotContain(p.Name, CommonParameters);
                var sets = c.ParameterSets.DefaultIfEmpty("__AllParameterSets").ToList();
                foreach (var set in sets)
                {
                    var positions = c.Parameters.SelectMany(p => p.Attributes.Where(a => a.SetName == set || a.SetName == "__AllParameterSets").Select(a => (p.Name, a.Position)))
                        .Where(x => x.Position != int.MinValue).GroupBy(x => x.Position).Where(g => g.Count() > 1).ToList();
                    Assert.True(positions.Count == 0, c.Name + " set " + set + " has two parameters at one position: " + string.Join(", ", positions.SelectMany(g => g.Select(x => x.Name))));
                }
            }
        }

        [Fact]
        public void Every_cmdlet_is_disposable_so_subscriptions_and_one_off_connections_are_released_when_the_pipeline_stops()
        {
            Assert.All(CmdletSurface.Cmdlets, c => Assert.True(c.ImplementsIDisposable, c.Name));
        }

        [Fact]
        public void QoS_parameters_are_validated_to_0_1_2_and_the_protocol_version_to_its_values()
        {
            Assert.Equal(new[] { "3.1", "3.1.1", "5.0" }, CmdletSurface.Get("Connect-Mqtt").Parameter("ProtocolVersion").ValidateSet);
        }
    }
}
