// Hand-written C# 7.3 that uses the generated client of examples/types (namespace
// HubExamples.Types) the way an application would: the proxy, fire-and-forget sends, server
// streams (IAsyncEnumerable and channel), client streams (channel and IAsyncEnumerable), a
// receiver with a client result, and every DTO and converter. It only has to compile (against the
// stand-in of the real packages, tests/csharp/check.sh); hub-codegen/tests/csharp.rs compiles it.

using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using HubExamples.Types;
using Microsoft.AspNetCore.SignalR.Client;

namespace HubExamples.Usage
{
    internal sealed class TypesReceiver : ITypesClient
    {
        public Everything Last;

        public Task ReceiveEverything(Everything value)
        {
            Last = value;
            return Task.CompletedTask;
        }

        public Task<Shape> TransformShape(Shape shape)
        {
            Shape.Circle circle = shape as Shape.Circle;
            if (circle != null)
            {
                return Task.FromResult<Shape>(new Shape.Circle { Radius = circle.Radius * 2 });
            }
            return Task.FromResult<Shape>(new Shape.Point());
        }
    }

    // A client stream as a hand-made channel reader (Channel.CreateUnbounded is not in the stand-in).
    internal sealed class ShapeChannel : ChannelReader<Shape>
    {
        private readonly Queue<Shape> _items = new Queue<Shape>();

        public ShapeChannel(IEnumerable<Shape> items)
        {
            foreach (Shape item in items)
            {
                _items.Enqueue(item);
            }
        }

        public override bool TryRead(out Shape item)
        {
            if (_items.Count == 0)
            {
                item = null;
                return false;
            }
            item = _items.Dequeue();
            return true;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return new ValueTask<bool>(_items.Count > 0);
        }
    }

    // A client stream as an IAsyncEnumerable (C# 7.3 has no async iterators).
    internal sealed class ShapeSequence : IAsyncEnumerable<Shape>
    {
        private readonly List<Shape> _items;

        public ShapeSequence(List<Shape> items)
        {
            _items = items;
        }

        public IAsyncEnumerator<Shape> GetAsyncEnumerator(CancellationToken cancellationToken = default(CancellationToken))
        {
            return new Enumerator(_items);
        }

        private sealed class Enumerator : IAsyncEnumerator<Shape>
        {
            private readonly List<Shape> _items;
            private int _index = -1;

            public Enumerator(List<Shape> items)
            {
                _items = items;
            }

            public Shape Current
            {
                get { return _items[_index]; }
            }

            public ValueTask<bool> MoveNextAsync()
            {
                _index++;
                return new ValueTask<bool>(_index < _items.Count);
            }

            public ValueTask DisposeAsync()
            {
                return default(ValueTask);
            }
        }
    }

    internal static class TypesUsage
    {
        internal static Everything Sample()
        {
            Dictionary<string, int> scores = new Dictionary<string, int>();
            scores["ada"] = 3;
            Dictionary<string, string> byId = new Dictionary<string, string>();
            byId["7"] = "seven";
            Everything value = new Everything
            {
                Name = "ada",
                Nickname = null,
                Motto = "hello",
                Small = 255,
                Medium = -3,
                Count = 42,
                Flags = 7u,
                Big = 9007199254740991L,
                Ratio = 0.5f,
                Precise = 1.25,
                Active = true,
                Initial = "a",
                Color = Color.SkyBlue,
                Palette = new List<Color> { Color.DarkRed, Color.Green },
                Shape = new Shape.Line(1, 2),
                Event = new Event.Joined { User = "ada", Room = null },
                Message = new Message.Pair(1, true),
                Amount = new Amount.Variant3 { Min = 1, Max = 2 },
                Scores = scores,
                ById = byId,
                Pair = new TupleInt32String(1, "one"),
                Rgb = new List<byte> { 1, 2, 3 },
                Address = new Address { Street = "Main St 1", PostalCode = "12345" },
                Tree = new Tree { Value = 1, Children = new List<Tree>() },
                Extra = JsonSerializer.Deserialize<JsonElement>("{\"any\":[1,true,null]}", new JsonSerializerOptions()),
                Created = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero),
                Payload = new List<byte> { 0, 255 },
                Attachment = new Attachment
                {
                    Name = "a.bin",
                    Data = new byte[] { 1, 2, 3 },
                    SentAt = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero),
                    Thumbnail = null,
                    ReadAt = null,
                },
                LegacyCode = "x",
                UpdatedBy = "root",
                Revision = 3u,
                Distance = 12.5,
                MaybeShape = null,
                Sparse = new List<int?> { 1, null, 3 },
            };
            return value;
        }

        // Every DTO and converter through System.Text.Json, as SignalR uses them.
        internal static void Converters()
        {
            JsonSerializerOptions options = new JsonSerializerOptions();
            string json = JsonSerializer.Serialize<Everything>(Sample(), options);
            Everything back = JsonSerializer.Deserialize<Everything>(json, options);
            Console.WriteLine(back.Name);

            List<Shape> shapes = new List<Shape>
            {
                new Shape.Point(),
                new Shape.Circle { Radius = 1.5 },
                new Shape.Label("hi"),
                new Shape.Line(1, 2),
            };
            foreach (Shape shape in shapes)
            {
                // SignalR serializes arguments by their runtime type: the variant classes' converters.
                string text = JsonSerializer.Serialize(shape, shape.GetType(), options);
                Shape read = JsonSerializer.Deserialize<Shape>(text, options);
                if (read is Shape.Point)
                {
                    Console.WriteLine("point");
                }
            }
            Shape.Circle circle = JsonSerializer.Deserialize<Shape.Circle>("{\"Circle\":{\"radius\":2}}", options);
            Console.WriteLine(circle.Radius);

            List<Event> events = new List<Event>
            {
                new Event.Started(),
                new Event.Joined { User = "ada", Room = "lobby" },
                new Event.Moved { Street = "Main St 1", PostalCode = "12345" },
            };
            Console.WriteLine(JsonSerializer.Serialize<List<Event>>(events, options));
            Console.WriteLine(JsonSerializer.Deserialize<Event>("{\"kind\":\"started\"}", options) is Event.Started);

            List<Message> messages = new List<Message>
            {
                new Message.Ping(),
                new Message.Text("hi"),
                new Message.Move { X = 1, Y = -1 },
                new Message.Pair(7, false),
            };
            Console.WriteLine(JsonSerializer.Serialize<List<Message>>(messages, options));
            Message.Text textMessage = JsonSerializer.Deserialize<Message>("{\"type\":\"Text\",\"data\":\"hi\"}", options) as Message.Text;
            Console.WriteLine(textMessage.Value);

            List<Amount> amounts = new List<Amount>
            {
                new Amount.Variant1(1.5),
                new Amount.Variant2("ten"),
                new Amount.Variant3 { Min = 1, Max = 2 },
            };
            Console.WriteLine(JsonSerializer.Serialize<List<Amount>>(amounts, options));
            Amount.Variant1 exact = JsonSerializer.Deserialize<Amount>("3", options) as Amount.Variant1;
            Console.WriteLine(exact.Value);

            Color color = JsonSerializer.Deserialize<Color>("\"sky-blue\"", options);
            Color? noColor = JsonSerializer.Deserialize<Color?>("null", options);
            Console.WriteLine(JsonSerializer.Serialize<Color>(color, options) + noColor.HasValue);

            TupleInt32String pair = JsonSerializer.Deserialize<TupleInt32String>("[1,\"one\"]", options);
            Console.WriteLine(pair.Item1 + pair.Item2 + JsonSerializer.Serialize<TupleInt32String>(pair, options));
        }

        internal static async Task Run(HubConnection connection, CancellationToken cancellationToken)
        {
            TypesReceiver receiver = new TypesReceiver();
            using (IDisposable registration = connection.RegisterTypesClient(receiver))
            {
                TypesHubProxy proxy = new TypesHubProxy(connection);
                ITypesHub hub = proxy;

                Everything echoed = await hub.EchoEverythingAsync(Sample(), cancellationToken);
                Shape shape = await hub.EchoShapeAsync(new Shape.Label("x"));
                Event @event = await hub.EchoEventAsync(new Event.Started());
                Message message = await hub.EchoMessageAsync(new Message.Text("hi"));
                Amount amount = await hub.EchoAmountAsync(new Amount.Variant2("ten"));
                Color color = await hub.EchoColorAsync(Color.Green);
                string optional = await hub.EchoOptionalAsync(null);
                TupleInt32String pair = await hub.EchoPairAsync(1, "one");
                Tree tree = await hub.EchoTreeAsync(new Tree { Value = 1, Children = new List<Tree>() });
                Dictionary<string, List<Address>> map = await hub.EchoMapAsync(new Dictionary<string, List<Address>>());
                JsonElement json = await hub.EchoJsonAsync(JsonSerializer.Deserialize<JsonElement>("[1]", new JsonSerializerOptions()));
                DateTimeOffset date = await hub.EchoDateAsync(DateTimeOffset.UtcNow);
                Attachment attachment = await hub.EchoAttachmentAsync(Sample().Attachment, cancellationToken);
                Attachment sample = await hub.SampleAttachmentAsync();
                bool isSample = await hub.IsSampleAttachmentAsync(sample, cancellationToken);
                byte[] data = attachment.Data;
                int checkedValue = await hub.CheckedAsync(1, 10);
                await hub.BroadcastEverythingAsync(echoed);
                Shape transformed = await hub.TransformByCallerAsync(new Shape.Circle { Radius = 1 });

                // Server-to-client stream, as IAsyncEnumerable (no await foreach in C# 7.3)...
                List<Shape> shapes = new List<Shape> { shape, transformed };
                IAsyncEnumerator<Shape> items = hub.StreamShapesAsync(shapes, cancellationToken).GetAsyncEnumerator(cancellationToken);
                try
                {
                    while (await items.MoveNextAsync())
                    {
                        Console.WriteLine(items.Current);
                    }
                }
                finally
                {
                    await items.DisposeAsync();
                }

                // ...and as a channel.
                ChannelReader<Shape> channel = await hub.StreamShapesChannelAsync(shapes, cancellationToken);
                while (await channel.WaitToReadAsync(cancellationToken))
                {
                    Shape item;
                    while (channel.TryRead(out item))
                    {
                        Console.WriteLine(item);
                    }
                }

                // Client-to-server streams, both ways.
                List<Shape> collected = await hub.CollectShapesAsync(new ShapeChannel(shapes), cancellationToken);
                List<Shape> collectedToo = await hub.CollectShapesAsync(new ShapeSequence(shapes), cancellationToken);

                // Fire and forget.
                await proxy.Send.EchoShapeAsync(new Shape.Point());
                await proxy.Send.EchoAttachmentAsync(sample);
                await proxy.Send.SampleAttachmentAsync();
                await proxy.Send.IsSampleAttachmentAsync(sample, cancellationToken);
                await proxy.Send.BroadcastEverythingAsync(echoed, cancellationToken);
                await proxy.Send.CollectShapesAsync(new ShapeChannel(shapes));
                await proxy.Send.CollectShapesAsync(new ShapeSequence(shapes));

                Console.WriteLine(message.ToString() + amount + color + optional + pair + tree + map.Count + json + date
                    + checkedValue + @event + collected.Count + collectedToo.Count + proxy.Connection + isSample + data.Length);
            }
        }
    }
}
