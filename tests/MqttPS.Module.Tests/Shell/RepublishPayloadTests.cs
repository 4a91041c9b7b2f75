using System.Collections.Generic;
using System.Text;
using MqttPS.Core.Messages;
using MqttPS.Core.Shell;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    /// <summary>Re-publishing received message objects: exact bytes unless the payload was changed on the way.</summary>
    public class RepublishPayloadTests
    {
        [Fact]
        public void An_unchanged_message_keeps_its_exact_bytes_even_in_an_AsJson_view()
        {
            var bytes = Encoding.UTF8.GetBytes("{ \"temp\" : 21.50 }");
            var received = new MqttMessage("t", bytes);
            var view = MessageCopy.WithPayloadFormat(received, PayloadFormat.Json);
            Assert.Same(bytes, RepublishPayload.Resolve(view));
            Assert.Same(bytes, RepublishPayload.Resolve(MessageCopy.WithPayloadFormat(received, PayloadFormat.String)));
            Assert.Same(bytes, RepublishPayload.Resolve(received));
        }

        [Fact]
        public void A_changed_JSON_property_is_sent_as_the_new_JSON()
        {
            var received = new MqttMessage("t", Encoding.UTF8.GetBytes("{\"temp\":21.5,\"unit\":\"C\"}"));
            var view = MessageCopy.WithPayloadFormat(received, PayloadFormat.Json);
            ((JsonObject)view.Payload)["temp"] = 70.7;
            var sent = PayloadEncoder.ToBytes(RepublishPayload.Resolve(view));
            Assert.Equal("{\"temp\":70.7,\"unit\":\"C\"}", Encoding.UTF8.GetString(sent));
        }

        [Fact]
        public void A_replaced_payload_is_sent_as_text_or_bytes()
        {
            var received = new MqttMessage("t", "old");
            received.Payload = "new";
            Assert.Equal("new", RepublishPayload.Resolve(received));
            received.Payload = new byte[] { 1, 2 };
            Assert.Equal(new byte[] { 1, 2 }, (byte[])RepublishPayload.Resolve(received));
            received.Payload = new Dictionary<string, object> { ["a"] = 1 };
            Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(PayloadEncoder.ToBytes(RepublishPayload.Resolve(received))));
        }

        [Fact]
        public void Binary_payloads_seen_as_strings_are_not_mangled()
        {
            var bytes = new byte[] { 0xFF, 0x00, 0xC3 };
            var received = new MqttMessage("t", bytes);
            var view = MessageCopy.WithPayloadFormat(received, PayloadFormat.String);
            Assert.Same(bytes, RepublishPayload.Resolve(view));
        }

        [Fact]
        public void A_pipeline_changing_its_message_object_does_not_change_what_other_subscriptions_get()
        {
            var received = new MqttMessage("plant/boiler", "{\"state\":\"ok\"}");
            foreach (var format in new[] { PayloadFormat.Auto, PayloadFormat.String, PayloadFormat.Json, PayloadFormat.Bytes })
            {
                var view = MessageCopy.WithPayloadFormat(received, format, v => v);
                Assert.NotSame(received, view);
                view.Topic = "site1/plant/boiler";
            }
            Assert.Equal("plant/boiler", received.Topic);
        }

        [Fact]
        public void A_JSON_string_or_number_seen_with_AsJson_keeps_its_bytes_unless_changed()
        {
            var quoted = Encoding.UTF8.GetBytes("\"on\"");
            var view = MessageCopy.WithPayloadFormat(new MqttMessage("t", quoted), PayloadFormat.Json);
            Assert.Equal("on", view.Payload);
            Assert.Same(quoted, RepublishPayload.Resolve(view));
            view.Payload = "off";
            Assert.Equal("off", RepublishPayload.Resolve(view));

            var number = Encoding.UTF8.GetBytes("42");
            Assert.Same(number, RepublishPayload.Resolve(MessageCopy.WithPayloadFormat(new MqttMessage("t", number), PayloadFormat.Json)));
        }
    }
}
