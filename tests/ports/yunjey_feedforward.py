"""yunjey's pytorch-tutorial, tutorials/01-basics/feedforward_neural_network/main.py: a fully
connected network with one hidden layer, Adam, the step printout with '{:.4f}'.format(loss.item()),
the test accuracy by torch.max(outputs.data, 1), and torch.save of the state dict. Kept as written
but for the data: Fashion-MNIST-shaped arrays in a TensorDataset in place of torchvision's MNIST
(the loaders' lines are part of that swap; the training loader keeps its order so that both
libraries see the same batches). The test runs it under PyTorch and under minicnn with only the
import lines changed."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

# Device configuration
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

# Hyper-parameters
input_size = 784
hidden_size = 500
num_classes = 10
num_epochs = 2
batch_size = 100
learning_rate = 0.001


# Fully connected neural network with one hidden layer
class NeuralNet(nn.Module):
    def __init__(self, input_size, hidden_size, num_classes):
        super(NeuralNet, self).__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        out = self.fc1(x)
        out = self.relu(out)
        out = self.fc2(out)
        return out


def build():
    return NeuralNet(input_size, hidden_size, num_classes)


def run(init, images, labels, test_images, test_labels, batch_size=batch_size):
    shown, losses = [], []
    print = shown.append
    # the data swap: arrays in place of torchvision.datasets.MNIST
    train_dataset = TensorDataset(torch.from_numpy(images), torch.from_numpy(labels))
    test_dataset = TensorDataset(torch.from_numpy(test_images), torch.from_numpy(test_labels))
    train_loader = DataLoader(dataset=train_dataset, batch_size=batch_size, shuffle=False)
    test_loader = DataLoader(dataset=test_dataset, batch_size=batch_size, shuffle=False)

    model = NeuralNet(input_size, hidden_size, num_classes).to(device)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in init.items()})

    # Loss and optimizer
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

    # Train the model
    total_step = len(train_loader)
    for epoch in range(num_epochs):
        for i, (images, labels) in enumerate(train_loader):
            # Move tensors to the configured device
            images = images.reshape(-1, 28*28).to(device)
            labels = labels.to(device)

            # Forward pass
            outputs = model(images)
            loss = criterion(outputs, labels)

            # Backward and optimize
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())

            if (i+1) % 2 == 0:
                print('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}'
                      .format(epoch+1, num_epochs, i+1, total_step, loss.item()))

    # Test the model
    # In test phase, we don't need to compute gradients (for memory efficiency)
    with torch.no_grad():
        correct = 0
        total = 0
        for images, labels in test_loader:
            images = images.reshape(-1, 28*28).to(device)
            labels = labels.to(device)
            outputs = model(images)
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()

        print('Accuracy of the network on the 10000 test images: {} %'.format(100 * correct / total))

    # Save the model checkpoint
    torch.save(model.state_dict(), 'model.ckpt')
    return losses, shown, correct
